"""Settings come from the environment, with safe defaults for the embedded (SQLite, one machine) mode."""

import json
import os

import dj_database_url
from django.utils.translation import gettext_lazy as _

from chorus.home import PROJECT_DIR, chorus_home, persistent_secret

BASE_DIR = PROJECT_DIR / "chorus"
HOME = chorus_home()


def env_bool(name: str, default: bool = False) -> bool:
    return os.environ.get(name, str(default)).lower() in {"1", "true", "yes", "on"}


DEBUG = env_bool("CHORUS_DEBUG")
SECRET_KEY = os.environ.get("CHORUS_SECRET_KEY") or persistent_secret("secret_key")
# Fernet keys for network tokens at rest; comma-separated, the first encrypts, all decrypt (rotation).
FIELD_ENCRYPTION_KEYS = os.environ.get("CHORUS_FIELD_KEYS") or persistent_secret(
    "field_key", generate=lambda: __import__("cryptography.fernet").fernet.Fernet.generate_key().decode()
)
ALLOWED_HOSTS = os.environ.get("CHORUS_ALLOWED_HOSTS", "127.0.0.1,localhost,[::1],testserver").split(",")
CSRF_TRUSTED_ORIGINS = [o for o in os.environ.get("CHORUS_CSRF_TRUSTED_ORIGINS", "").split(",") if o]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    "django_celery_beat",
    "chorus.workspaces",
    "chorus.channels",
    "chorus.networks",
    "chorus.sandbox",
    "chorus.content",
    "chorus.publishing",
    "chorus.notifications",
    "chorus.analytics",
    "chorus.web",
    "chorus.runtime",
    "chorus.sources",
    "chorus.inbox",
    "chorus.classify",
    "chorus.reports",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "chorus.workspaces.middleware.UserLanguageMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "chorus.urls"
WSGI_APPLICATION = "chorus.wsgi.application"
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "chorus.web.context.workstation",
            ],
        },
    },
]


def database_config() -> dict:
    url = os.environ.get("DATABASE_URL") or f"sqlite:///{HOME / 'chorus.sqlite3'}"
    config = dj_database_url.parse(url, conn_max_age=0 if url.startswith("sqlite") else 60)
    if config["ENGINE"].endswith("sqlite3"):
        # WAL lets the web read while the worker writes; IMMEDIATE takes the write lock up front so two
        # writers queue on busy_timeout instead of failing with "database is locked" mid-transaction.
        config["OPTIONS"] = {
            "transaction_mode": "IMMEDIATE",
            "timeout": 30,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=30000;",
        }
        # Tests need a file database: concurrency tests open it from several threads and processes.
        config["TEST"] = {"NAME": str(HOME / f"test-{os.getpid()}.sqlite3")}
    return config


DATABASES = {"default": database_config()}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en"
LANGUAGES = [("ru", _("Russian")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = "UTC"
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = HOME / "static"
MEDIA_URL = "media/"
MEDIA_ROOT = HOME / "media"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024

EMAIL_BACKEND = os.environ.get("CHORUS_EMAIL_BACKEND", "django.core.mail.backends.filebased.EmailBackend")
EMAIL_FILE_PATH = HOME / "outbox"
# A real mail server: CHORUS_EMAIL_BACKEND=django.core.mail.backends.smtp.EmailBackend and these.
EMAIL_HOST = os.environ.get("CHORUS_EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("CHORUS_EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("CHORUS_EMAIL_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("CHORUS_EMAIL_PASSWORD", "")
EMAIL_USE_TLS = env_bool("CHORUS_EMAIL_TLS")
DEFAULT_FROM_EMAIL = os.environ.get("CHORUS_EMAIL_FROM", "chorus@localhost")

# Celery: embedded mode keeps its broker in its own SQLite file, apart from the app's database.
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL") or f"sqla+sqlite:///{HOME / 'broker.sqlite3'}"
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
# Each thread keeps up to 4 messages in hand: with 1 the sqla broker's per-message round trip capped a burst
# at ~30 posts/s (bench/publish.py). A killed worker's reserved messages are covered by the claim lease.
CELERY_WORKER_PREFETCH_MULTIPLIER = 4
CELERY_TASK_ALWAYS_EAGER = env_bool("CHORUS_TASKS_EAGER")
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULE = {
    # The outbox is the source of truth; the tick only asks "what is due now?", so a lost tick costs a second.
    "publishing-dispatch": {"task": "chorus.publishing.tasks.dispatch_due", "schedule": 1.0,
                            "options": {"expires": 5}},
    "publishing-reconcile": {"task": "chorus.publishing.tasks.reconcile", "schedule": 15.0,
                             "options": {"expires": 30}},
    "publishing-health": {"task": "chorus.publishing.tasks.check_health", "schedule": 60.0,
                          "options": {"expires": 120}},
    "channels-health": {"task": "chorus.channels.tasks.check_connections", "schedule": 300.0,
                        "options": {"expires": 600}},
    "analytics-collect": {"task": "chorus.analytics.tasks.collect_metrics", "schedule": 300.0,
                          "options": {"expires": 600}},
    "sandbox-audience": {"task": "chorus.sandbox.tasks.simulate_audience", "schedule": 60.0,
                         "options": {"expires": 120}},
    "inbox-ingest": {"task": "chorus.inbox.tasks.ingest_conversations", "schedule": 30.0,
                     "options": {"expires": 60}},
    "inbox-overdue": {"task": "chorus.inbox.tasks.alert_overdue", "schedule": 60.0, "options": {"expires": 120}},
    "inbox-rescore": {"task": "chorus.inbox.tasks.rescore_uncertain", "schedule": 60.0, "options": {"expires": 120}},
    "reports-schedules": {"task": "chorus.reports.tasks.run_schedules", "schedule": 300.0,
                          "options": {"expires": 240}},
    "sources-poll-feeds": {"task": "chorus.sources.tasks.poll_feeds", "schedule": 300.0,
                           "options": {"expires": 240}},
}

# Where the inbox's trained label models are kept (default HOME/models): trained from the carried corpus on
# first use, or ahead of time with `chorus classify build`.
CHORUS_CLASSIFY_MODELS = os.environ.get("CHORUS_CLASSIFY_MODELS", "")

# The address networks reach this server at (webhooks); by default the address the browser used.
CHORUS_PUBLIC_URL = os.environ.get("CHORUS_PUBLIC_URL", "")

# Network API base URLs, e.g. {"telegram": "http://127.0.0.1:8081"} for a self-hosted Bot API server.
CHORUS_NETWORK_BASE_URLS = json.loads(os.environ.get("CHORUS_NETWORK_BASE_URLS") or "{}")

# The applications Chorus signs in as when a channel is connected through the network's sign-in page (OAuth).
# Register the callback address the channels page shows (…/channels/oauth/callback/, one for every workspace).
# X: the OAuth 2.0 client id of your app in the developer portal; the secret only for a confidential client.
# The channels page also takes them typed, for an operator with an app of their own.
CHORUS_X_CLIENT_ID = os.environ.get("CHORUS_X_CLIENT_ID", "")
CHORUS_X_CLIENT_SECRET = os.environ.get("CHORUS_X_CLIENT_SECRET", "")
# VK ID: the app id (id.vk.com → your app); VK ID signs in with PKCE, so no secret is needed.
CHORUS_VK_CLIENT_ID = os.environ.get("CHORUS_VK_CLIENT_ID", "")
# OK: the application id, public key and secret key from the e-mail OK sends when an app is registered.
CHORUS_OK_APPLICATION_ID = os.environ.get("CHORUS_OK_APPLICATION_ID", "")
CHORUS_OK_APPLICATION_KEY = os.environ.get("CHORUS_OK_APPLICATION_KEY", "")
CHORUS_OK_APPLICATION_SECRET_KEY = os.environ.get("CHORUS_OK_APPLICATION_SECRET_KEY", "")

# Publishing knobs (seconds).
CHORUS_CLAIM_LEASE = int(os.environ.get("CHORUS_CLAIM_LEASE", 60))
CHORUS_SEND_LEASE = int(os.environ.get("CHORUS_SEND_LEASE", 120))
CHORUS_UNKNOWN_GRACE = int(os.environ.get("CHORUS_UNKNOWN_GRACE", 300))
CHORUS_LATE_AFTER = int(os.environ.get("CHORUS_LATE_AFTER", 120))
CHORUS_MAX_ATTEMPTS = int(os.environ.get("CHORUS_MAX_ATTEMPTS", 5))
CHORUS_PORT = int(os.environ.get("CHORUS_PORT", 8000))
# Fetching addresses users type (feeds, a Mastodon instance, a Bluesky PDS, an own Telegram Bot API server):
# internal addresses are refused unless an intranet install opts in, wholesale or for listed networks
# (comma-separated CIDRs).
CHORUS_OUTBOUND_ALLOW_PRIVATE = env_bool("CHORUS_OUTBOUND_ALLOW_PRIVATE")
CHORUS_OUTBOUND_ALLOWED_NETWORKS = [n for n in os.environ.get("CHORUS_OUTBOUND_ALLOWED_NETWORKS", "").split(",") if n]

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("CHORUS_LOG_LEVEL", "INFO")},
    # httpx logs every request URL at INFO, and some networks (Telegram) carry the token in the URL.
    # fontTools tells every table it subsets while WeasyPrint makes a report's PDF.
    "loggers": {"django.db.backends": {"level": "WARNING"}, "httpx": {"level": "WARNING"},
                "httpcore": {"level": "WARNING"}, "fontTools": {"level": "WARNING"}},
}
