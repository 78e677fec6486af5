"""/status: a receipt code opens where a submission stands; each domain renders its own kind."""


def includeme(config):
    config.add_route("status", "/status")
    config.add_route("status_stop_messages", "/status/stop-messages")  # the code in the POST body
    config.scan(".views")
