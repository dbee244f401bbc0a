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

    def database_name(self, service: str) -> str:
        return self.mongodb_database or f"ilteo_{service}"
