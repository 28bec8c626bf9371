"""The REST API (/api/v1/): one NinjaAPI, with a router per domain."""

from ninja import NinjaAPI

api = NinjaAPI(title="Chorus API", version="1", urls_namespace="api")
