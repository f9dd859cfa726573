// Fuzz target `inflate`: permessage-deflate's decoder (WSDeflate, on the system's zlib) fed
// arbitrary compressed bytes in pieces, as a peer's frames bring them. The output it hands out
// is bounded by the caller: once 64 KiB are out, the callback says stop, and the decoder must
// stop there (a decompression bomb costs nothing more). Corrupt data must be an error with a
// remote fault and close code 1007, never a crash.
import WSDeflate
import WSFraming

@_cdecl("LLVMFuzzerTestOneInput")
public func inflateFuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size > 0 else { return 0 }
    let setup = data[0]
    let deflate = PerMessageDeflate(parameters: .init(role: .server, serverNoContextTakeover: setup & 1 != 0,
                                                      clientNoContextTakeover: setup & 2 != 0,
                                                      serverMaxWindowBits: 15, clientMaxWindowBits: 8 + Int(setup >> 2) % 8))
    defer { deflate.release() }
    let limit = 64 << 10
    let piece = 1 + Int(setup >> 5) * 37
    let bytes = UnsafeRawBufferPointer(start: data + 1, count: size - 1)
    var out = 0
    var stopped = false
    var offset = 0
    do throws(FramingError) {
        repeat {
            let count = min(piece, bytes.count - offset)
            let isFinal = offset + count == bytes.count
            try deflate.decode(UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + count)]), isFinal: isFinal) { chunk in
                precondition(!stopped, "output after the callback said stop")
                out += chunk.count
                if out >= limit { stopped = true }
                return !stopped
            }
            offset += count
        } while offset < bytes.count && !stopped
    } catch {
        precondition(error.fault == .remote && error.closeCode?.rawValue == 1007, "inflate failed with \(error)")
    }
    precondition(out <= limit + (64 << 10), "\(out) bytes out past a limit of \(limit)")
    return 0
}
