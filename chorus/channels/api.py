"""Channels over the API: list and connect."""

from ninja import Router, Schema, Status

from chorus.channels.services import channels_of, connect_channel
from chorus.workspaces.api import answers, caller, workspace_of


class ChannelOut(Schema):
    id: int
    name: str
    network: str
    health: str


class ChannelIn(Schema):
    network: str
    name: str


router = Router(tags=["channels"])


@router.get("/workspaces/{slug}/channels", response=answers(200, list[ChannelOut]),
            summary="Channels of the workspace")
def list_channels(request, slug: str):
    return channels_of(caller(request), workspace_of(request, slug))


@router.post("/workspaces/{slug}/channels", response=answers(201, ChannelOut), summary="Connect a channel")
def connect(request, slug: str, payload: ChannelIn):
    """For the sandbox network a fresh sandbox page is opened for the channel."""
    workspace = workspace_of(request, slug)
    return Status(201, connect_channel(actor=caller(request), workspace=workspace, network=payload.network,
                                       name=payload.name))
