// Fuzz target `gate`: WSServer's `GateToken`, compiled together with
// Packages/WSServer/Sources/WSServer/GateToken.swift. The input is a subject, a validity, a
// time, and an edit of the token made from them. A broken invariant traps:
//   - a token made for a subject gives that subject back until it expires, and nil from then
//     on (whatever the validity, even one past the largest time there is);
//   - the token, edited anywhere (a byte replaced, inserted or removed), is refused, unless the
//     edit left it as it was; under another secret, it is refused;
//   - any text at all, as a token or as a URL target with `?token=`, is refused or gives the
//     subject of the very token made for it (a token cannot be forged or written two ways).

private let gate = GateToken(secret: Array("fuzzing secret, 32 bytes long!!!".utf8))
private let other = GateToken(secret: Array("another secret of 32 bytes......".utf8))

@_cdecl("LLVMFuzzerTestOneInput")
public func gateFuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    guard bytes.count >= 12 else { return 0 }
    func number(_ at: Int) -> Int64 { bytes[at..<(at + 4)].reduce(Int64(0)) { $0 << 8 | Int64($1) } - (1 << 31) }
    // Validity and time from ±2^31, scaled so that both the edges and the overflow are reached.
    let validFor = number(0) * (bytes[8] & 1 == 0 ? 1 : 1 << 32)
    let now = Int(number(4))
    let edit = Int(bytes[9]) << 8 | Int(bytes[10])
    let replacement = bytes[11]
    let rest = Array(bytes[12...])
    let subject = String(decoding: rest, as: UTF8.self)

    let token = gate.make(subject: subject, validFor: .seconds(validFor), now: now)
    let expiry = Int(token.split(separator: ".")[1])!
    let (sum, overflow) = now.addingReportingOverflow(Int(validFor))
    precondition(expiry == (overflow ? (validFor > 0 ? Int.max : Int.min) : sum), "expiry \(expiry) for \(validFor) s from \(now)")
    precondition(gate.subject(of: token, now: now) == (validFor > 0 ? subject : nil), "at its start")
    // One of the other checks per input (each costs an HMAC): the fuzzer reaches them all.
    switch bytes[8] >> 1 & 3 {
    case 0:
        precondition(gate.subject(of: token, now: expiry) == nil, "at its expiry")
        if expiry > Int.min { precondition(gate.subject(of: token, now: expiry - 1) == subject, "just before its expiry") }
    case 1:
        precondition(other.subject(of: token, now: now) == nil, "under another secret")
    case 2:
        precondition(gate.subject(ofTokenIn: "/chat?a=1&token=\(token)", now: now) == (validFor > 0 ? subject : nil), "in a target")
    default:
        break
    }

    var edited = Array(token.utf8)
    let at = edit % (edited.count + 1)
    switch edit % 3 {
    case 0 where at < edited.count: edited[at] = replacement
    case 1 where at < edited.count: edited.remove(at: at)
    default: edited.insert(replacement, at: at)
    }
    let editedText = String(decoding: edited, as: UTF8.self)
    if editedText != token, expiry > Int.min {
        precondition(gate.subject(of: editedText, now: expiry - 1) == nil, "an edited token accepted: \(editedText.debugDescription)")
    }

    // The input itself as a token: only a token this gate makes can pass, and only as made.
    for candidate in [String(decoding: bytes, as: UTF8.self), subject] {
        if let found = gate.subject(of: candidate, now: now) {
            let (left, overflow) = Int(candidate.split(separator: ".")[1])!.subtractingReportingOverflow(now)
            precondition(overflow || gate.make(subject: found, validFor: .seconds(Int64(left)), now: now) == candidate,
                         "forged: \(candidate.debugDescription)")
        }
        _ = gate.subject(ofTokenIn: candidate, now: now)
    }
    return 0
}
