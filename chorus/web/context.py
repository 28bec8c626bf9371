def workstation(request) -> dict:
    return {}
