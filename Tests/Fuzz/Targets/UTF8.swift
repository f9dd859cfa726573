// Fuzz target `utf8`: WSFraming's UTF-8 validator against the standard library's decoding, on
// any bytes, whole and fed in two pieces cut at every position that the input's first byte picks.
import WSFraming

@_cdecl("LLVMFuzzerTestOneInput")
public func utf8Fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = UnsafeRawBufferPointer(start: data, count: size)
    let expected = String(validating: Array(bytes), as: UTF8.self) != nil
    precondition(UTF8Validator.isValid(bytes) == expected, "whole: the validator and the standard library disagree")
    guard size > 1 else { return 0 }
    let cut = Int(data[0]) % size
    var validator = UTF8Validator()
    let first = validator.validate(UnsafeRawBufferPointer(rebasing: bytes[..<cut]))
    let second = first && validator.validate(UnsafeRawBufferPointer(rebasing: bytes[cut...]))
    precondition((second && validator.isComplete) == expected, "in two pieces at \(cut): a different verdict")
    if !first || !second { precondition(validator.hasFailed, "a failed piece that left the validator unfailed") }
    return 0
}
