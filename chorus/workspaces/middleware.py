from chorus.workspaces.models import Profile


class UserLanguageMiddleware:
    """A signed-in person's language: their own choice, else their current workspace's, else the browser's.

    Runs before LocaleMiddleware and hands it the choice through the language cookie it already reads.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        from django.conf import settings

        user = getattr(request, "user", None)
        language = None
        if user is not None and user.is_authenticated:
            profile = Profile.objects.select_related("last_workspace").filter(user=user).first()
            if profile is not None:
                language = profile.language or (profile.last_workspace and profile.last_workspace.language)
        if language:
            request.COOKIES[settings.LANGUAGE_COOKIE_NAME] = language
        return self.get_response(request)
