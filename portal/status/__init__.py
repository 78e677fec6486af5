"""/status: a receipt code opens where a submission stands; each domain renders its own kind."""


def includeme(config):
    config.add_route("status", "/status")
    config.scan(".views")
