"""The server's TLS context from the web config's ``tls_server_config``.

Client certificates are verified by the TLS library during the handshake (the toolkit
verifies them in a middleware; the outcome for a client is the same: no verified
certificate, no response). ``client_allowed_sans`` is checked when the connection is
made (see server.py).
"""

from __future__ import annotations

import ssl

from .webconfig import TLSSettings

_VERSIONS = {
    "TLS10": ssl.TLSVersion.TLSv1,
    "TLS11": ssl.TLSVersion.TLSv1_1,
    "TLS12": ssl.TLSVersion.TLSv1_2,
    "TLS13": ssl.TLSVersion.TLSv1_3,
}
_VERIFY = {
    "NoClientCert": ssl.CERT_NONE,
    # Python cannot ask for a certificate without verifying it; not verifying any
    # certificate is what the toolkit does for this type too.
    "RequestClientCert": ssl.CERT_NONE,
    "VerifyClientCertIfGiven": ssl.CERT_OPTIONAL,
    "RequireAndVerifyClientCert": ssl.CERT_REQUIRED,
}
# Go's names (crypto/tls CipherSuites) for TLS 1.2 and below, in OpenSSL's spelling.
_CIPHERS = {
    "TLS_RSA_WITH_AES_128_CBC_SHA": "AES128-SHA",
    "TLS_RSA_WITH_AES_256_CBC_SHA": "AES256-SHA",
    "TLS_RSA_WITH_AES_128_GCM_SHA256": "AES128-GCM-SHA256",
    "TLS_RSA_WITH_AES_256_GCM_SHA384": "AES256-GCM-SHA384",
    "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA": "ECDHE-ECDSA-AES128-SHA",
    "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA": "ECDHE-ECDSA-AES256-SHA",
    "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA": "ECDHE-RSA-AES128-SHA",
    "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA": "ECDHE-RSA-AES256-SHA",
    "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256": "ECDHE-ECDSA-AES128-GCM-SHA256",
    "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256": "ECDHE-RSA-AES128-GCM-SHA256",
    "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384": "ECDHE-ECDSA-AES256-GCM-SHA384",
    "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384": "ECDHE-RSA-AES256-GCM-SHA384",
    "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256": "ECDHE-RSA-CHACHA20-POLY1305",
    "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256": "ECDHE-ECDSA-CHACHA20-POLY1305",
}
# TLS 1.3's suites are not configurable, in Go as in OpenSSL: accepted, no effect.
_TLS13_CIPHERS = {
    "TLS_AES_128_GCM_SHA256",
    "TLS_AES_256_GCM_SHA384",
    "TLS_CHACHA20_POLY1305_SHA256",
}
WHERE = "tls_server_config"


def _ciphers(names: tuple[str, ...]) -> str | None:
    unknown = [n for n in names if n not in _CIPHERS and n not in _TLS13_CIPHERS]
    if unknown:
        raise ValueError(
            f"{WHERE}.cipher_suites: unknown cipher {unknown[0]!r}; expected Go's names, "
            f"e.g. {', '.join(list(_CIPHERS)[-4:])}"
        )
    chosen = [_CIPHERS[n] for n in names if n in _CIPHERS]
    return ":".join(chosen) or None


def ssl_context(settings: TLSSettings) -> ssl.SSLContext:
    """Raises ValueError naming the field at fault."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    try:
        context.minimum_version = _VERSIONS[settings.min_version]
        context.maximum_version = _VERSIONS[settings.max_version]
    except (ValueError, ssl.SSLError) as err:
        raise ValueError(f"{WHERE}.min_version: not available here: {err}") from None
    if context.minimum_version > context.maximum_version:
        raise ValueError(
            f"{WHERE}.max_version: {settings.max_version} is below min_version "
            f"{settings.min_version}"
        )
    ciphers = _ciphers(settings.cipher_suites)
    if ciphers:
        try:
            context.set_ciphers(ciphers)
        except ssl.SSLError as err:
            raise ValueError(f"{WHERE}.cipher_suites: {err}") from None
    if settings.prefer_server_cipher_suites:
        context.options |= ssl.OP_CIPHER_SERVER_PREFERENCE
    for name, path in (("cert_file", settings.cert_file), ("key_file", settings.key_file)):
        if not path.is_file():
            raise ValueError(f"{WHERE}.{name}: cannot read {path}: no such file")
    try:
        context.load_cert_chain(settings.cert_file, settings.key_file)
    except (OSError, ssl.SSLError) as err:
        raise ValueError(
            f"{WHERE}.cert_file: cannot load the certificate {settings.cert_file} with the key "
            f"{settings.key_file}: {getattr(err, 'reason', None) or err}"
        ) from None
    context.verify_mode = _VERIFY[settings.client_auth_type]
    try:
        if settings.client_ca_file is not None:
            context.load_verify_locations(cafile=settings.client_ca_file)
        if settings.client_ca:
            context.load_verify_locations(cadata=settings.client_ca)
    except (OSError, ssl.SSLError) as err:
        field = "client_ca_file" if settings.client_ca_file else "client_ca"
        raise ValueError(
            f"{WHERE}.{field}: cannot load the client CA: "
            f"{getattr(err, 'strerror', None) or getattr(err, 'reason', None) or err}"
        ) from None
    return context


def peer_sans(peercert: dict | None) -> set[str]:
    """DNS, IP, e-mail and URI SANs of a verified peer certificate."""
    return {value for _kind, value in (peercert or {}).get("subjectAltName", ())}
