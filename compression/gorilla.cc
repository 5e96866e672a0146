// STUB
namespace edgetsdb::compression {}
