"""What a use case answers when it cannot do what was asked: the field at fault and why.

Entry points do not translate these one by one: the service runtime answers every HTTP request
that ends in one with its status and a body naming the field, as request validation does.
"""


class Problem(Exception):
    status = 400

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}")
        self.field = field
        self.problem = problem


class NotFound(Problem):
    status = 404


class Conflict(Problem):
    """The request is valid but the state it finds does not allow it (now)."""

    status = 409


class Unprocessable(Problem):
    status = 422
