"""Entry services of the approvals engine (above the flows): applications, task decisions,
delegation and the periodic-review processes. Web views, the REST API, commands, due work
and admin actions call these; flow nodes never do (they call approvals.actions)."""

from approvals.errors import *  # noqa: F401,F403  (messages and exceptions, for callers and tests)
from approvals.services.applications import *  # noqa: F401,F403
from approvals.services.delegation import *  # noqa: F401,F403
from approvals.services.duties import *  # noqa: F401,F403
from approvals.services.inspections import *  # noqa: F401,F403
from approvals.services.oa import *  # noqa: F401,F403
from approvals.services.tasks import *  # noqa: F401,F403
