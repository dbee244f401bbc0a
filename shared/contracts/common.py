from pydantic import BaseModel, ConfigDict


class ContractModel(BaseModel):
    """Strict: an unknown field is a schema error, so nothing slips in unvalidated."""

    model_config = ConfigDict(extra="forbid", frozen=True)
