from pyramid.view import view_config
from sqlalchemy import text


@view_config(route_name="healthz", request_method="GET", renderer="json")
def healthz(request):
    """The process is up; says nothing about the database."""
    return {"status": "ok"}


@view_config(route_name="readyz", request_method="GET", renderer="json")
def readyz(request):
    """Ready only when the database answers: a load balancer stops sending traffic otherwise."""
    try:
        with request.registry["db_engine"].connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception as exc:
        request.response.status_int = 503
        return {"status": "unavailable", "database": type(exc).__name__}
    return {"status": "ok"}
