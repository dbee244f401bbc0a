from typing import Annotated

from pydantic import BaseModel, ConfigDict, StringConstraints

# An address as a mail server takes it: one @, a dotted domain, no spaces (Korean letters
# allowed). Checked by shape: pydantic's EmailStr asks email-validator, which took a seventh
# of intake's CPU in a burst, for a finer judgement that the SMTP server makes anyway.
EmailAddress = Annotated[
    str,
    StringConstraints(max_length=254, pattern=r"^[^@\s]{1,64}@[^@\s.]+(\.[^@\s.]+)+$"),
]


class ContractModel(BaseModel):
    """Strict: an unknown field is a schema error, so nothing slips in unvalidated."""

    model_config = ConfigDict(extra="forbid", frozen=True)
