"""Notifications: what a delivery says, in each channel's format, and sending it.

`Notifier.send(delivery)` builds the message of one `Delivery` and sends it, or raises a
`DeliveryError` that says whether to try again. The message builders are pure functions of
the delivery and its rendered text, one module per kind of channel: `slack` (Block Kit),
`teams` (an Adaptive Card), `mail` (an email, also the prospect's acknowledgment), `webhook`
(signed JSON). `summary` holds what every channel says about a lead, `templates` the Jinja2
templates users can replace, `transport` the HTTP and SMTP sending. See docs/notifications.md.
"""

from leadflow.notify.delivery import ACK_EVENT, Delivery, DeliveryError, Recipient
from leadflow.notify.notifier import Notifier, expand

__all__ = ["ACK_EVENT", "Delivery", "DeliveryError", "Notifier", "Recipient", "expand"]
