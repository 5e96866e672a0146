#include "compression/codec.h"

namespace edgetsdb::compression {

std::string_view CodecName(Codec codec) {
  switch (codec) {
    case Codec::kNone:
      return "none";
    case Codec::kTimestampDeltaOfDelta:
      return "timestamp_dod";
    case Codec::kFloatGorilla:
      return "gorilla";
    case Codec::kFloatChimp128:
      return "chimp128";
    case Codec::kFloatDecimal:
      return "decimal";
    case Codec::kIntFrameOfReference:
      return "int_for";
    case Codec::kIntDelta:
      return "int_delta";
    case Codec::kIntDeltaOfDelta:
      return "int_dod";
    case Codec::kIntRunLength:
      return "int_rle";
    case Codec::kBoolBitmap:
      return "bool_bitmap";
    case Codec::kBoolRunLength:
      return "bool_rle";
    case Codec::kStringDictionary:
      return "string_dict";
    case Codec::kStringLz4:
      return "string_lz4";
  }
  return "unknown";
}

std::string_view ValueTypeName(ValueType type) {
  switch (type) {
    case ValueType::kFloat:
      return "float";
    case ValueType::kInt:
      return "int";
    case ValueType::kUint:
      return "uint";
    case ValueType::kBool:
      return "bool";
    case ValueType::kString:
      return "string";
  }
  return "unknown";
}

}  // namespace edgetsdb::compression
