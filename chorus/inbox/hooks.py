"""Where networks call Chorus: one URL per channel, answered the way that network expects.

Nobody signs in here; a call proves itself with the secret Chorus gave the network when the channel's push was
switched on, and the connector checks it. What arrives goes the same way as what ingestion reads.
"""

import json
import logging

from django.http import HttpResponse, HttpResponseBadRequest, HttpResponseForbidden, HttpResponseNotFound
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from chorus.channels.models import Channel
from chorus.inbox import ingestion
from chorus.networks import errors

log = logging.getLogger(__name__)
MAX_BODY = 1_000_000


@csrf_exempt
@require_POST
def network_push(request, channel_id: int):
    channel = Channel.objects.select_related("workspace").filter(pk=channel_id).first()
    if channel is None or not channel.config.get("push"):
        return HttpResponseNotFound()
    if len(request.body) > MAX_BODY:
        return HttpResponseBadRequest("too large")
    try:
        body = json.loads(request.body)
        answer = channel.connector.receive_push(body, request.headers)
    except (ValueError, AttributeError, KeyError, TypeError):
        return HttpResponseBadRequest("not a call this channel understands")
    except errors.PushRefused as exc:
        log.warning("push to channel %s refused: %s", channel.pk, exc)
        return HttpResponseForbidden()
    ingestion.settle_arrivals(channel, ingestion.record_conversations(channel, answer.conversations))
    return HttpResponse(answer.body, content_type="text/plain")
