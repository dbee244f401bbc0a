"""The base of every piece of program and call data (catalog YAML, operator HTTP input)."""

from pydantic import BaseModel, ConfigDict


class Spec(BaseModel):
    """Strict and immutable: a misspelt key in the catalog is an error, never a rule that
    silently does nothing, and a call's rules cannot change under a running selection."""

    model_config = ConfigDict(extra="forbid", frozen=True)
