"""The outbox: messages that leave the system (SMS, e-mail), written in the transaction that caused
them and sent after commit by the worker."""


def includeme(config):
    pass
