"""How the services reach Kafka and MongoDB securely: SASL/SCRAM and TLS, from the environment.

Locally and in most tests everything is PLAINTEXT on 127.0.0.1; a deployment sets

    KAFKA_SECURITY_PROTOCOL   PLAINTEXT | SSL | SASL_PLAINTEXT | SASL_SSL   (default PLAINTEXT)
    KAFKA_SASL_MECHANISM      SCRAM-SHA-512 | SCRAM-SHA-256 | PLAIN         (default SCRAM-SHA-512)
    KAFKA_SASL_USERNAME, KAFKA_SASL_PASSWORD
    KAFKA_SSL_CAFILE          the CA that signed the brokers' certificates (else the system's)
    KAFKA_SSL_CERTFILE, KAFKA_SSL_KEYFILE   a client certificate, for brokers that demand one
    MONGODB_TLS_CAFILE, MONGODB_TLS_CERTIFICATE_KEY_FILE

MongoDB's user, password and TLS switch belong in MONGODB_URI itself, as the driver reads them
(`mongodb://user:pass@host/?authSource=admin&tls=true`); the two file settings are here only
because a file path is awkward to escape into a URI. SMTP's STARTTLS and login are notify's
settings (SMTP_STARTTLS, SMTP_USERNAME, SMTP_PASSWORD). See docs/security.md.
"""

from __future__ import annotations

import ssl
from typing import Literal

from faststream.security import (
    BaseSecurity,
    SASLPlaintext,
    SASLScram256,
    SASLScram512,
)
from pydantic import SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

SecurityProtocol = Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"]
SaslMechanism = Literal["SCRAM-SHA-512", "SCRAM-SHA-256", "PLAIN"]


class TransportSettings(BaseSettings):
    """Field names map to the environment variables case-insensitively (see the module)."""

    model_config = SettingsConfigDict(extra="ignore", frozen=True)

    kafka_security_protocol: SecurityProtocol = "PLAINTEXT"
    kafka_sasl_mechanism: SaslMechanism = "SCRAM-SHA-512"
    kafka_sasl_username: str = ""
    kafka_sasl_password: SecretStr = SecretStr("")
    kafka_ssl_cafile: str = ""
    kafka_ssl_certfile: str = ""
    kafka_ssl_keyfile: str = ""
    mongodb_tls_cafile: str = ""
    mongodb_tls_certificate_key_file: str = ""

    @model_validator(mode="after")
    def _sasl_needs_a_login(self) -> TransportSettings:
        # Refused at start-up, in words: a broker would only close the connection.
        if self.uses_sasl and not (
            self.kafka_sasl_username and self.kafka_sasl_password.get_secret_value()
        ):
            raise ValueError(
                f"KAFKA_SECURITY_PROTOCOL={self.kafka_security_protocol} needs "
                "KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD"
            )
        return self

    @property
    def uses_sasl(self) -> bool:
        return self.kafka_security_protocol.startswith("SASL_")

    @property
    def uses_tls(self) -> bool:
        return self.kafka_security_protocol in ("SSL", "SASL_SSL")

    def describe_kafka(self) -> str:
        """What the service presents to Kafka, for log lines (never the password)."""
        if self.uses_sasl:
            return (
                f"{self.kafka_security_protocol}, {self.kafka_sasl_mechanism} "
                f"as {self.kafka_sasl_username!r}"
            )
        return f"{self.kafka_security_protocol}, no login"


def kafka_ssl_context(settings: TransportSettings) -> ssl.SSLContext | None:
    if not settings.uses_tls:
        return None
    # Verifies the broker's certificate and host name: TLS without it would only hide the
    # traffic from passive listeners.
    context = ssl.create_default_context(cafile=settings.kafka_ssl_cafile or None)
    if settings.kafka_ssl_certfile:
        context.load_cert_chain(settings.kafka_ssl_certfile, settings.kafka_ssl_keyfile or None)
    return context


def kafka_security(settings: TransportSettings) -> BaseSecurity | None:
    """FastStream's security object for the broker (None: PLAINTEXT, FastStream's default)."""
    context = kafka_ssl_context(settings)
    if settings.uses_sasl:
        username = settings.kafka_sasl_username
        password = settings.kafka_sasl_password.get_secret_value()
        mechanism = settings.kafka_sasl_mechanism
        if mechanism == "SCRAM-SHA-512":
            return SASLScram512(username, password, ssl_context=context, use_ssl=settings.uses_tls)
        if mechanism == "SCRAM-SHA-256":
            return SASLScram256(username, password, ssl_context=context, use_ssl=settings.uses_tls)
        return SASLPlaintext(username, password, ssl_context=context, use_ssl=settings.uses_tls)
    if context is not None:
        return BaseSecurity(ssl_context=context, use_ssl=True)
    return None


def mongo_tls_options(settings: TransportSettings) -> dict[str, str | bool]:
    """PyMongo keyword options for the certificate files; either one switches TLS on."""
    options: dict[str, str | bool] = {}
    if settings.mongodb_tls_cafile:
        options["tlsCAFile"] = settings.mongodb_tls_cafile
    if settings.mongodb_tls_certificate_key_file:
        options["tlsCertificateKeyFile"] = settings.mongodb_tls_certificate_key_file
    if options:
        options["tls"] = True
    return options
