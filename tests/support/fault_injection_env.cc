#include "tests/support/fault_injection_env.h"

#include <algorithm>
#include <map>
#include <utility>

#include "absl/strings/str_cat.h"

namespace edgetsdb::testing {

// A file or a directory. Open handles share the node, so a removed file stays writable through
// them (as on POSIX) but is no longer reachable, counted, or kept by a crash.
struct FaultInjectionEnv::Node {
  explicit Node(bool dir) : is_dir(dir) {}

  const bool is_dir;
  // Files.
  std::string data;     // What readers see.
  std::string durable;  // What survives a crash.
  // Byte ranges [first, second) whose writeback a failed sync lost: zeros on disk from then on.
  std::vector<std::pair<uint64_t, uint64_t>> lost;
  // Directories.
  std::map<std::string, std::shared_ptr<Node>> children;          // What readers see.
  std::map<std::string, std::shared_ptr<Node>> durable_children;  // What survives a crash.
};

namespace {

constexpr int64_t kStartNowNanos = 1'700'000'000'000'000'000;  // 2023-11-14T22:13:20Z
constexpr int64_t kStartMonotonicNanos = 1'000'000'000;
constexpr uint64_t kUnlimitedFreeSpace = uint64_t{1} << 40;

std::vector<std::string> SplitPath(std::string_view path) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (start <= path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    std::string_view part = path.substr(start, end - start);
    if (!part.empty() && part != ".") parts.emplace_back(part);
    start = end + 1;
  }
  return parts;
}

std::string Canonical(std::string_view path) {
  std::string out;
  for (const std::string& part : SplitPath(path)) absl::StrAppend(&out, "/", part);
  return out.empty() ? "/" : out;
}

absl::Status NotFound(std::string_view op, const std::string& path) {
  return absl::NotFoundError(
      absl::StrCat(std::string(op), " ", path, ": No such file or directory"));
}

void ZeroLostRanges(const std::vector<std::pair<uint64_t, uint64_t>>& lost, std::string* bytes) {
  for (const auto& [from, to] : lost) {
    if (from >= bytes->size()) continue;
    const uint64_t end = std::min<uint64_t>(to, bytes->size());
    std::fill(bytes->begin() + static_cast<ptrdiff_t>(from),
              bytes->begin() + static_cast<ptrdiff_t>(end), '\0');
  }
}

}  // namespace

class FaultInjectionEnv::File final : public WritableFile {
 public:
  File(FaultInjectionEnv* env, std::shared_ptr<Node> node, std::string path, uint64_t generation)
      : env_(env), node_(std::move(node)), path_(std::move(path)), generation_(generation) {}

  absl::Status Append(std::string_view data) override {
    absl::MutexLock lock(&env_->mu_);
    if (absl::Status s = CheckUsable("append to"); !s.ok()) return s;
    const uint64_t room = env_->Headroom();
    if (data.size() > room) {
      node_->data.append(data.substr(0, room));
      return absl::ResourceExhaustedError(
          absl::StrCat("write ", path_, ": No space left on device (injected)"));
    }
    node_->data.append(data);
    return absl::OkStatus();
  }

  absl::Status Sync() override {
    {
      absl::MutexLock lock(&env_->mu_);
      if (absl::Status s = CheckUsable("sync"); !s.ok()) return s;
    }
    env_->RunSyncPoint();
    absl::MutexLock lock(&env_->mu_);
    if (generation_ != env_->generation_) {
      return absl::InternalError(absl::StrCat("fdatasync ", path_, ": crashed during sync"));
    }
    if (env_->TakeSyncFailure()) {
      // The kernel drops the dirty pages it failed to write, and forgets the error.
      if (node_->data.size() > node_->durable.size()) {
        node_->lost.emplace_back(node_->durable.size(), node_->data.size());
      }
      return absl::InternalError(
          absl::StrCat("fdatasync ", path_, ": Input/output error (injected)"));
    }
    node_->durable = node_->data;
    ZeroLostRanges(node_->lost, &node_->durable);
    return absl::OkStatus();
  }

  absl::Status Close() override {
    closed_ = true;
    return absl::OkStatus();
  }

  uint64_t Size() const override {
    absl::MutexLock lock(&env_->mu_);
    return node_->data.size();
  }

 private:
  absl::Status CheckUsable(std::string_view op) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(env_->mu_) {
    if (closed_) {
      return absl::FailedPreconditionError(absl::StrCat(std::string(op), " closed ", path_));
    }
    if (generation_ != env_->generation_) {
      return absl::FailedPreconditionError(
          absl::StrCat(std::string(op), " ", path_, ": handle opened before a simulated crash"));
    }
    return absl::OkStatus();
  }

  FaultInjectionEnv* const env_;
  const std::shared_ptr<Node> node_;
  const std::string path_;
  const uint64_t generation_;
  bool closed_ = false;
};

class FaultInjectionEnv::Reader final : public RandomAccessFile {
 public:
  Reader(FaultInjectionEnv* env, std::shared_ptr<Node> node, std::string path, uint64_t generation)
      : env_(env), node_(std::move(node)), path_(std::move(path)), generation_(generation) {}

  absl::Status Read(uint64_t offset, size_t n, char* scratch,
                    std::string_view* result) const override {
    absl::MutexLock lock(&env_->mu_);
    if (generation_ != env_->generation_) {
      *result = std::string_view();
      return absl::FailedPreconditionError(
          absl::StrCat("read ", path_, ": handle opened before a simulated crash"));
    }
    const std::string& data = node_->data;
    const size_t start = static_cast<size_t>(std::min<uint64_t>(offset, data.size()));
    const size_t count = std::min(n, data.size() - start);
    std::copy_n(data.data() + start, count, scratch);
    *result = std::string_view(scratch, count);
    return absl::OkStatus();
  }

  uint64_t Size() const override {
    absl::MutexLock lock(&env_->mu_);
    return node_->data.size();
  }

 private:
  FaultInjectionEnv* const env_;
  const std::shared_ptr<Node> node_;
  const std::string path_;
  const uint64_t generation_;
};

class FaultInjectionEnv::Lock final : public Env::FileLock {
 public:
  Lock(FaultInjectionEnv* env, std::string key, uint64_t generation)
      : env_(env), key_(std::move(key)), generation_(generation) {}
  ~Lock() override {
    absl::MutexLock lock(&env_->mu_);
    // A crash already released it, and the path may be locked again since.
    if (generation_ == env_->generation_) env_->locked_.erase(key_);
  }

 private:
  FaultInjectionEnv* const env_;
  const std::string key_;
  const uint64_t generation_;
};

FaultInjectionEnv::FaultInjectionEnv(uint64_t seed)
    : root_(std::make_shared<Node>(/*dir=*/true)),
      rng_(seed),
      now_nanos_(kStartNowNanos),
      monotonic_nanos_(kStartMonotonicNanos) {}

FaultInjectionEnv::~FaultInjectionEnv() = default;

std::shared_ptr<FaultInjectionEnv::Node> FaultInjectionEnv::Lookup(
    const std::vector<std::string>& parts) const {
  std::shared_ptr<Node> node = root_;
  for (const std::string& part : parts) {
    if (!node->is_dir) return nullptr;
    auto it = node->children.find(part);
    if (it == node->children.end()) return nullptr;
    node = it->second;
  }
  return node;
}

absl::StatusOr<std::shared_ptr<FaultInjectionEnv::Node>> FaultInjectionEnv::ParentDir(
    const std::string& path, std::string* name) {
  std::vector<std::string> parts = SplitPath(path);
  if (parts.empty()) return absl::InvalidArgumentError(absl::StrCat("not a file path: ", path));
  *name = parts.back();
  parts.pop_back();
  std::shared_ptr<Node> dir = Lookup(parts);
  if (dir == nullptr) return NotFound("open", path);
  if (!dir->is_dir) return absl::InternalError(absl::StrCat(path, ": Not a directory"));
  return dir;
}

absl::StatusOr<std::shared_ptr<FaultInjectionEnv::Node>> FaultInjectionEnv::LookupFile(
    const std::string& path) {
  std::shared_ptr<Node> node = Lookup(SplitPath(path));
  if (node == nullptr) return NotFound("open", path);
  if (node->is_dir) return absl::InternalError(absl::StrCat(path, ": Is a directory"));
  return node;
}

uint64_t FaultInjectionEnv::UsedBytesLocked() const {
  uint64_t used = 0;
  std::vector<const Node*> stack = {root_.get()};
  while (!stack.empty()) {
    const Node* node = stack.back();
    stack.pop_back();
    if (!node->is_dir) {
      used += node->data.size();
      continue;
    }
    for (const auto& [name, child] : node->children) stack.push_back(child.get());
  }
  return used;
}

uint64_t FaultInjectionEnv::Headroom() const {
  if (!capacity_.has_value()) return UINT64_MAX;
  const uint64_t used = UsedBytesLocked();
  return used >= *capacity_ ? 0 : *capacity_ - used;
}

void FaultInjectionEnv::RunSyncPoint() {
  std::function<void(uint64_t)> callback;
  uint64_t point;
  {
    absl::MutexLock lock(&mu_);
    point = ++sync_points_;
    callback = sync_callback_;
  }
  if (callback) callback(point);
}

bool FaultInjectionEnv::TakeSyncFailure() {
  if (failing_syncs_ <= 0) return false;
  --failing_syncs_;
  return true;
}

absl::StatusOr<std::unique_ptr<WritableFile>> FaultInjectionEnv::NewWritableFile(
    const std::string& path) {
  absl::MutexLock lock(&mu_);
  std::string name;
  absl::StatusOr<std::shared_ptr<Node>> dir = ParentDir(path, &name);
  if (!dir.ok()) return dir.status();
  std::shared_ptr<Node>& slot = (*dir)->children[name];
  if (slot == nullptr) {
    slot = std::make_shared<Node>(/*dir=*/false);
  } else if (slot->is_dir) {
    return absl::InternalError(absl::StrCat("open ", path, ": Is a directory"));
  } else {
    slot->data.clear();  // O_TRUNC: durable only once synced.
  }
  return std::make_unique<File>(this, slot, Canonical(path), generation_);
}

absl::StatusOr<std::unique_ptr<WritableFile>> FaultInjectionEnv::NewAppendableFile(
    const std::string& path) {
  absl::MutexLock lock(&mu_);
  std::string name;
  absl::StatusOr<std::shared_ptr<Node>> dir = ParentDir(path, &name);
  if (!dir.ok()) return dir.status();
  std::shared_ptr<Node>& slot = (*dir)->children[name];
  if (slot == nullptr) slot = std::make_shared<Node>(/*dir=*/false);
  if (slot->is_dir) return absl::InternalError(absl::StrCat("open ", path, ": Is a directory"));
  return std::make_unique<File>(this, slot, Canonical(path), generation_);
}

absl::StatusOr<std::unique_ptr<RandomAccessFile>> FaultInjectionEnv::NewRandomAccessFile(
    const std::string& path) {
  absl::MutexLock lock(&mu_);
  absl::StatusOr<std::shared_ptr<Node>> node = LookupFile(path);
  if (!node.ok()) return node.status();
  return std::make_unique<Reader>(this, *node, Canonical(path), generation_);
}

absl::StatusOr<std::string> FaultInjectionEnv::ReadFileToString(const std::string& path) {
  absl::MutexLock lock(&mu_);
  absl::StatusOr<std::shared_ptr<Node>> node = LookupFile(path);
  if (!node.ok()) return node.status();
  return (*node)->data;
}

bool FaultInjectionEnv::FileExists(const std::string& path) {
  absl::MutexLock lock(&mu_);
  return Lookup(SplitPath(path)) != nullptr;
}

absl::StatusOr<uint64_t> FaultInjectionEnv::GetFileSize(const std::string& path) {
  absl::MutexLock lock(&mu_);
  absl::StatusOr<std::shared_ptr<Node>> node = LookupFile(path);
  if (!node.ok()) return node.status();
  return (*node)->data.size();
}

absl::StatusOr<std::vector<std::string>> FaultInjectionEnv::GetChildren(const std::string& dir) {
  absl::MutexLock lock(&mu_);
  std::shared_ptr<Node> node = Lookup(SplitPath(dir));
  if (node == nullptr) return NotFound("opendir", dir);
  if (!node->is_dir) return absl::InternalError(absl::StrCat("opendir ", dir, ": Not a directory"));
  std::vector<std::string> names;
  for (const auto& [name, child] : node->children) names.push_back(name);
  return names;
}

absl::Status FaultInjectionEnv::RemoveFile(const std::string& path) {
  absl::MutexLock lock(&mu_);
  std::string name;
  absl::StatusOr<std::shared_ptr<Node>> dir = ParentDir(path, &name);
  if (!dir.ok()) return dir.status();
  auto it = (*dir)->children.find(name);
  if (it == (*dir)->children.end()) return NotFound("unlink", path);
  if (it->second->is_dir)
    return absl::InternalError(absl::StrCat("unlink ", path, ": Is a directory"));
  (*dir)->children.erase(it);
  return absl::OkStatus();
}

absl::Status FaultInjectionEnv::RenameFile(const std::string& from, const std::string& to) {
  absl::MutexLock lock(&mu_);
  std::string from_name;
  std::string to_name;
  absl::StatusOr<std::shared_ptr<Node>> from_dir = ParentDir(from, &from_name);
  if (!from_dir.ok()) return from_dir.status();
  absl::StatusOr<std::shared_ptr<Node>> to_dir = ParentDir(to, &to_name);
  if (!to_dir.ok()) return to_dir.status();
  auto it = (*from_dir)->children.find(from_name);
  if (it == (*from_dir)->children.end()) return NotFound("rename", from);
  std::shared_ptr<Node> node = it->second;
  auto target = (*to_dir)->children.find(to_name);
  if (target != (*to_dir)->children.end() && target->second->is_dir) {
    return absl::InternalError(absl::StrCat("rename ", from, " to ", to, ": Is a directory"));
  }
  (*from_dir)->children.erase(it);
  (*to_dir)->children[to_name] = std::move(node);
  return absl::OkStatus();
}

absl::Status FaultInjectionEnv::TruncateFile(const std::string& path, uint64_t size) {
  absl::MutexLock lock(&mu_);
  absl::StatusOr<std::shared_ptr<Node>> node = LookupFile(path);
  if (!node.ok()) return node.status();
  std::string& data = (*node)->data;
  if (size > data.size() && size - data.size() > Headroom()) {
    return absl::ResourceExhaustedError(
        absl::StrCat("truncate ", path, ": No space left on device (injected)"));
  }
  data.resize(size, '\0');
  return absl::OkStatus();
}

absl::Status FaultInjectionEnv::CreateDir(const std::string& dir) {
  absl::MutexLock lock(&mu_);
  std::string name;
  absl::StatusOr<std::shared_ptr<Node>> parent = ParentDir(dir, &name);
  if (!parent.ok()) return parent.status();
  std::shared_ptr<Node>& slot = (*parent)->children[name];
  if (slot == nullptr) {
    slot = std::make_shared<Node>(/*dir=*/true);
  } else if (!slot->is_dir) {
    return absl::InternalError(absl::StrCat("mkdir ", dir, ": File exists"));
  }
  return absl::OkStatus();
}

absl::Status FaultInjectionEnv::RemoveDir(const std::string& dir) {
  absl::MutexLock lock(&mu_);
  std::string name;
  absl::StatusOr<std::shared_ptr<Node>> parent = ParentDir(dir, &name);
  if (!parent.ok()) return parent.status();
  auto it = (*parent)->children.find(name);
  if (it == (*parent)->children.end()) return NotFound("rmdir", dir);
  if (!it->second->is_dir)
    return absl::InternalError(absl::StrCat("rmdir ", dir, ": Not a directory"));
  if (!it->second->children.empty()) {
    return absl::InternalError(absl::StrCat("rmdir ", dir, ": Directory not empty"));
  }
  (*parent)->children.erase(it);
  return absl::OkStatus();
}

absl::Status FaultInjectionEnv::SyncDir(const std::string& dir) {
  uint64_t generation;
  {
    absl::MutexLock lock(&mu_);
    generation = generation_;
  }
  RunSyncPoint();
  absl::MutexLock lock(&mu_);
  if (generation != generation_) {
    return absl::InternalError(absl::StrCat("fsync ", dir, ": crashed during sync"));
  }
  std::shared_ptr<Node> node = Lookup(SplitPath(dir));
  if (node == nullptr) return NotFound("open", dir);
  if (!node->is_dir) return absl::InternalError(absl::StrCat("open ", dir, ": Not a directory"));
  if (TakeSyncFailure()) {
    return absl::InternalError(absl::StrCat("fsync ", dir, ": Input/output error (injected)"));
  }
  node->durable_children = node->children;
  return absl::OkStatus();
}

absl::StatusOr<uint64_t> FaultInjectionEnv::GetFreeSpace(const std::string& path) {
  absl::MutexLock lock(&mu_);
  if (Lookup(SplitPath(path)) == nullptr) return NotFound("statvfs", path);
  return capacity_.has_value() ? Headroom() : kUnlimitedFreeSpace;
}

absl::StatusOr<std::unique_ptr<Env::FileLock>> FaultInjectionEnv::LockFile(
    const std::string& path) {
  {
    absl::MutexLock lock(&mu_);
    const std::string key = Canonical(path);
    if (locked_.contains(key)) {
      return absl::UnavailableError(
          absl::StrCat("lock ", path, ": held by another process or Db instance"));
    }
  }
  // Created if missing, like the POSIX lock file.
  absl::StatusOr<std::unique_ptr<WritableFile>> file = NewAppendableFile(path);
  if (!file.ok()) return file.status();
  absl::MutexLock lock(&mu_);
  const std::string key = Canonical(path);
  if (!locked_.insert(key).second) {
    return absl::UnavailableError(
        absl::StrCat("lock ", path, ": held by another process or Db instance"));
  }
  return std::make_unique<Lock>(this, key, generation_);
}

int64_t FaultInjectionEnv::NowNanos() {
  absl::MutexLock lock(&mu_);
  return now_nanos_;
}

int64_t FaultInjectionEnv::MonotonicNanos() {
  absl::MutexLock lock(&mu_);
  return monotonic_nanos_;
}

void FaultInjectionEnv::CrashFile(Node& file, CrashMode mode) {
  const std::string_view durable = file.durable;
  const std::string_view data = file.data;
  std::string after;
  if (data == durable || mode == CrashMode::kDropUnsynced) {
    after = file.durable;
  } else if (data.size() > durable.size() && data.starts_with(durable)) {
    // Appends since the last sync: the case the modes describe.
    const size_t unsynced = data.size() - durable.size();
    after = file.durable;
    if (mode == CrashMode::kKeepRandomPrefix) {
      const size_t keep = std::uniform_int_distribution<size_t>(0, unsynced)(rng_);
      after.append(data.substr(durable.size(), keep));
    } else {
      std::uniform_int_distribution<int> byte(0, 255);
      for (size_t i = 0; i < unsynced; ++i) after.push_back(static_cast<char>(byte(rng_)));
    }
  } else {
    // Truncated or rewritten since the last sync: the change landed or it did not.
    after = std::bernoulli_distribution(0.5)(rng_) ? file.data : file.durable;
  }
  // Writeback that a failed sync dropped never reaches the disk.
  ZeroLostRanges(file.lost, &after);
  file.lost.clear();
  file.data = after;
  file.durable = std::move(after);
}

void FaultInjectionEnv::CrashDir(Node& dir, CrashMode mode, DirCrashMode dir_mode,
                                 std::set<const Node*>& seen) {
  if (dir_mode == DirCrashMode::kRevertUnsynced) {
    dir.children = dir.durable_children;
  } else {
    dir.durable_children = dir.children;
  }
  for (auto& [name, child] : dir.children) {
    // A rename between two directories of which only one was synced leaves the node under two
    // names; crash it once.
    if (!seen.insert(child.get()).second) continue;
    if (child->is_dir) {
      CrashDir(*child, mode, dir_mode, seen);
    } else {
      CrashFile(*child, mode);
    }
  }
}

void FaultInjectionEnv::SimulateCrash(CrashMode mode, DirCrashMode dir_mode) {
  absl::MutexLock lock(&mu_);
  ++generation_;
  std::set<const Node*> seen;
  CrashDir(*root_, mode, dir_mode, seen);
  locked_.clear();  // Locks die with the process.
}

void FaultInjectionEnv::FailNextSyncs(int n) {
  absl::MutexLock lock(&mu_);
  failing_syncs_ = n;
}

void FaultInjectionEnv::SetDiskCapacity(std::optional<uint64_t> bytes) {
  absl::MutexLock lock(&mu_);
  capacity_ = bytes;
}

uint64_t FaultInjectionEnv::UsedBytes() {
  absl::MutexLock lock(&mu_);
  return UsedBytesLocked();
}

void FaultInjectionEnv::SetNowNanos(int64_t nanos) {
  absl::MutexLock lock(&mu_);
  now_nanos_ = nanos;
}

void FaultInjectionEnv::SetMonotonicNanos(int64_t nanos) {
  absl::MutexLock lock(&mu_);
  monotonic_nanos_ = nanos;
}

void FaultInjectionEnv::AdvanceClock(int64_t nanos) {
  absl::MutexLock lock(&mu_);
  now_nanos_ += nanos;
  monotonic_nanos_ += nanos;
}

uint64_t FaultInjectionEnv::sync_points() {
  absl::MutexLock lock(&mu_);
  return sync_points_;
}

void FaultInjectionEnv::SetSyncPointCallback(std::function<void(uint64_t)> callback) {
  absl::MutexLock lock(&mu_);
  sync_callback_ = std::move(callback);
}

absl::Status FaultInjectionEnv::SetFileContents(const std::string& path, std::string_view data) {
  absl::MutexLock lock(&mu_);
  std::string name;
  absl::StatusOr<std::shared_ptr<Node>> dir = ParentDir(path, &name);
  if (!dir.ok()) return dir.status();
  std::shared_ptr<Node>& slot = (*dir)->children[name];
  if (slot != nullptr && slot->is_dir) {
    return absl::InternalError(absl::StrCat(path, ": Is a directory"));
  }
  if (slot == nullptr) slot = std::make_shared<Node>(/*dir=*/false);
  slot->data = std::string(data);
  slot->durable = slot->data;
  slot->lost.clear();
  (*dir)->durable_children[name] = slot;
  return absl::OkStatus();
}

absl::StatusOr<std::string> FaultInjectionEnv::DurableContents(const std::string& path) {
  absl::MutexLock lock(&mu_);
  // Walk the durable entries: a file whose entry is not durable would not exist after a crash.
  std::shared_ptr<Node> node = root_;
  for (const std::string& part : SplitPath(path)) {
    if (!node->is_dir) return NotFound("open", path);
    auto it = node->durable_children.find(part);
    if (it == node->durable_children.end()) return NotFound("open", path);
    node = it->second;
  }
  if (node->is_dir) return absl::InternalError(absl::StrCat(path, ": Is a directory"));
  std::string durable = node->durable;
  ZeroLostRanges(node->lost, &durable);
  return durable;
}

}  // namespace edgetsdb::testing
