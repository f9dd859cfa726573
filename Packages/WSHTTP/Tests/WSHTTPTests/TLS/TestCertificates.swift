import Foundation
import WSTLS

/// Certificates made at test time by the `openssl` command, once per test process, in a
/// temporary folder: a CA; a server certificate for `localhost`, 127.0.0.1 and ::1; a client
/// certificate; an expired one; one for another host; one signed by a CA nobody trusts; and the
/// server key again, encrypted with a password. All keys are ECDSA P-256 (fast handshakes).
struct TestCertificates: Sendable {
    /// The folder with every file: `ca.pem`, `server.pem`/`server.key`, `client.pem`/`client.key`,
    /// `expired.pem`/`.key`, `otherhost.pem`/`.key`, `untrusted.pem`/`.key`, `untrusted-ca.pem`,
    /// `server-encrypted.key` (password `secret`).
    let folder: String

    /// A file of the folder.
    func path(_ name: String) -> String { folder + "/" + name }
    /// A file of the folder, as a PEM source.
    func file(_ name: String) -> PEMSource { .file(path(name)) }

    /// The server configuration for certificate `name` (`server`, `expired`, …).
    func server(_ name: String = "server", clientCertificates: TLSServerConfiguration.ClientCertificatePolicy = .none)
        -> TLSServerConfiguration
    {
        TLSServerConfiguration(certificateChain: file("\(name).pem"), privateKey: file("\(name).key"),
                               clientCertificates: clientCertificates)
    }

    /// A client that trusts the test CA, with the client certificate when asked.
    func client(withCertificate: Bool = false) -> TLSClientConfiguration {
        TLSClientConfiguration(verification: .trustedCAs(file("ca.pem")),
                               certificateChain: withCertificate ? file("client.pem") : nil,
                               privateKey: withCertificate ? file("client.key") : nil)
    }

    /// The certificates of this test process, made on first use.
    static let shared: TestCertificates = {
        do {
            return try make()
        } catch {
            fatalError("could not make test certificates with the openssl command: \(error)")
        }
    }()

    private static func make() throws -> TestCertificates {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("wshttp-tls-\(getpid())").path
        try? FileManager.default.removeItem(atPath: folder)
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", script, "make-certificates", folder]
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            let text = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            throw CertificateError(description: "openssl failed (exit \(process.terminationStatus)): \(text)")
        }
        return TestCertificates(folder: folder)
    }

    struct CertificateError: Error, CustomStringConvertible { let description: String }

    /// `openssl ca` (not `x509 -req`) so that start and end dates can be set, for the expired one.
    private static let script = #"""
    set -eu
    cd "$1"
    cat > ca.cnf <<'EOF'
    [ ca ]
    default_ca = test_ca
    [ test_ca ]
    database = index.txt
    new_certs_dir = .
    serial = serial
    default_md = sha256
    policy = any_name
    copy_extensions = copy
    unique_subject = no
    [ any_name ]
    commonName = supplied
    [ leaf ]
    basicConstraints = critical, CA:FALSE
    keyUsage = critical, digitalSignature
    extendedKeyUsage = serverAuth, clientAuth
    EOF
    : > index.txt
    echo 1000 > serial
    ec="-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes"
    openssl req -x509 $ec -keyout ca.key -out ca.pem -days 30 -subj "/CN=WebSockets Test CA" \
        -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign"
    openssl req -x509 $ec -keyout untrusted-ca.key -out untrusted-ca.pem -days 30 -subj "/CN=Untrusted Test CA" \
        -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign"
    yesterday=$(date -u -d '-1 day' +%Y%m%d%H%M%SZ)
    later=$(date -u -d '+30 days' +%Y%m%d%H%M%SZ)
    # issue NAME SUBJECT SAN CA START END
    issue() {
        openssl req -new $ec -keyout "$1.key" -out "$1.csr" -subj "$2" ${3:+-addext "subjectAltName=$3"}
        openssl ca -batch -config ca.cnf -extensions leaf -cert "$4.pem" -keyfile "$4.key" -in "$1.csr" -out "$1.pem" \
            -startdate "$5" -enddate "$6" -notext 2>/dev/null
    }
    issue server "/CN=localhost" "DNS:localhost,IP:127.0.0.1,IP:::1" ca "$yesterday" "$later"
    issue server2 "/CN=localhost" "DNS:localhost,IP:127.0.0.1,IP:::1" untrusted-ca "$yesterday" "$later"
    issue client "/CN=test-client" "" ca "$yesterday" "$later"
    issue untrusted-client "/CN=untrusted-client" "" untrusted-ca "$yesterday" "$later"
    issue expired "/CN=localhost" "DNS:localhost,IP:127.0.0.1,IP:::1" ca 20200101000000Z 20200201000000Z
    issue otherhost "/CN=other.example" "DNS:other.example" ca "$yesterday" "$later"
    issue untrusted "/CN=localhost" "DNS:localhost,IP:127.0.0.1,IP:::1" untrusted-ca "$yesterday" "$later"
    openssl pkey -in server.key -aes256 -passout pass:secret -out server-encrypted.key
    """#
}
