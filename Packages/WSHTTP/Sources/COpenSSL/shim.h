// The system's OpenSSL (Debian: libssl-dev), as WSTLS uses it. OpenSSL spells several calls as
// macros, which Swift cannot import; each has a small inline function here, named ws_… after it.
#ifndef WS_COPENSSL_SHIM_H
#define WS_COPENSSL_SHIM_H

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

static inline int ws_SSL_CTX_set_min_proto_version(SSL_CTX *ctx, int version) {
    return (int)SSL_CTX_set_min_proto_version(ctx, version);
}
static inline int ws_SSL_CTX_set_max_proto_version(SSL_CTX *ctx, int version) {
    return (int)SSL_CTX_set_max_proto_version(ctx, version);
}
static inline long ws_SSL_CTX_set_mode(SSL_CTX *ctx, long mode) { return SSL_CTX_set_mode(ctx, mode); }
static inline int ws_SSL_CTX_add1_chain_cert(SSL_CTX *ctx, X509 *cert) { return (int)SSL_CTX_add1_chain_cert(ctx, cert); }
static inline int ws_SSL_set_tlsext_host_name(SSL *ssl, const char *name) { return (int)SSL_set_tlsext_host_name(ssl, name); }
/// The options every context of ours sets: no renegotiation, no TLS compression (CRIME), and
/// on a server, its own cipher order.
static inline void ws_SSL_CTX_set_strict_options(SSL_CTX *ctx, int server) {
    uint64_t options = SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION;
    if (server) options |= SSL_OP_CIPHER_SERVER_PREFERENCE;
    SSL_CTX_set_options(ctx, options);
}
static inline unsigned long ws_XN_FLAG_RFC2253(void) { return XN_FLAG_RFC2253; }
static inline int ws_ERR_GET_REASON(unsigned long e) { return ERR_GET_REASON(e); }
static inline int ws_ERR_GET_LIB(unsigned long e) { return ERR_GET_LIB(e); }

/// The server's ALPN protocols in wire format (length-prefixed names), for ws_alpn_select.
typedef struct { const unsigned char *protocols; unsigned int length; } ws_alpn_list;

/// Picks the first of the server's protocols that the client offered; without one in common the
/// handshake goes on without ALPN (RFC 7301 lets a server do that).
static inline int ws_alpn_select(SSL *ssl, const unsigned char **out, unsigned char *outlen,
                                 const unsigned char *in, unsigned int inlen, void *arg) {
    (void)ssl;
    const ws_alpn_list *list = (const ws_alpn_list *)arg;
    unsigned char *selected = NULL;
    if (SSL_select_next_proto(&selected, outlen, list->protocols, list->length, in, inlen) != OPENSSL_NPN_NEGOTIATED)
        return SSL_TLSEXT_ERR_NOACK;
    *out = selected;
    return SSL_TLSEXT_ERR_OK;
}
static inline void ws_SSL_CTX_set_alpn_server(SSL_CTX *ctx, ws_alpn_list *list) {
    SSL_CTX_set_alpn_select_cb(ctx, ws_alpn_select, list);
}

#endif
