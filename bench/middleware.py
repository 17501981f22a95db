"""The project's process-scope middleware, except for bare viewflow's pages under /bare/
(their processes are no account's: the project's scope rule would 404 them)."""

from workbench.middleware import ProcessScopeMiddleware


class ProcessScopeExceptBare(ProcessScopeMiddleware):
    def process_view(self, request, view_func, view_args, view_kwargs):
        if request.path.startswith("/bare/"):
            return None
        return super().process_view(request, view_func, view_args, view_kwargs)
