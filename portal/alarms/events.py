"""What alarms tell the domains above them, which alarms never import (.importlinter): such a domain
subscribes in its includeme, `config.add_subscriber(handler, AlarmEnded)`, and the handler runs in
the same request and transaction as the step that fired it."""


class AlarmEnded:
    """An alarm was closed by a dispatcher or cancelled by its sender (its state is already final)."""

    def __init__(self, request, alarm):
        self.request = request
        self.alarm = alarm


def alarm_ended(request, alarm) -> None:
    request.registry.notify(AlarmEnded(request, alarm))
