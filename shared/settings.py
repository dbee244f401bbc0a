"""Configuration from the environment, with exactly the variable names of the contract."""

from pydantic_settings import BaseSettings, SettingsConfigDict


class ServiceSettings(BaseSettings):
    """What every service reads. Field names map to the contract's env vars case-insensitively:
    `kafka_bootstrap_servers` <- KAFKA_BOOTSTRAP_SERVERS, `mongodb_uri` <- MONGODB_URI."""

    model_config = SettingsConfigDict(extra="ignore", frozen=True)

    kafka_bootstrap_servers: str = "localhost:9092"
    mongodb_uri: str = "mongodb://localhost:27017"
    # Not in the contract: deployment knobs of this project.
    mongodb_database: str = ""  # empty: "ilteo_<service>"
    http_host: str = "127.0.0.1"
    http_port: int = 8000
    log_level: str = "INFO"
    # How long a start-up waits between attempts to reach Kafka or MongoDB.
    dependency_retry_seconds: float = 2.0
    # At most this many messages per fetched batch of a subscription (one commit per batch).
    consumer_max_records: int = 500
    # Who may call the HTTP APIs: bearer JWTs of this OIDC issuer, for this audience, signed
    # by a key of its JWKS (the defaults are the local issuer `make up` starts).
    auth_issuer: str = "http://127.0.0.1:8090"
    auth_audience: str = "ilteo"
    auth_jwks_url: str = "http://127.0.0.1:8090/.well-known/jwks.json"
    # The issuer's key set is kept this long; a token signed by a key not in it (a rotation)
    # fetches the set again, at most once per cooldown so random key ids cannot flood it.
    auth_jwks_cache_seconds: float = 300.0
    auth_jwks_refetch_cooldown_seconds: float = 10.0

    def database_name(self, service: str) -> str:
        return self.mongodb_database or f"ilteo_{service}"
