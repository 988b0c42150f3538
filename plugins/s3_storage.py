"""S3 storage: images as objects in a bucket of AWS S3 or any S3-compatible server.

Settings: ``CODEQR_S3_BUCKET`` (required), ``CODEQR_S3_PREFIX``, ``CODEQR_S3_ENDPOINT_URL``
(None: AWS), ``CODEQR_S3_REGION``, ``CODEQR_S3_ACCESS_KEY_ID`` and
``CODEQR_S3_SECRET_ACCESS_KEY`` (None: boto3's default credential chain),
``CODEQR_S3_SERVE`` (``proxy``: bytes through the app; ``redirect``: 302 to a
presigned URL valid ``CODEQR_S3_PRESIGN_SECONDS``), ``CODEQR_S3_TIMEOUT_SECONDS``.
"""

import logging
import mimetypes
import threading

from codeqr import PluginError, Storage, StorageUnavailable, hookimpl

try:
    import boto3
    from boto3.exceptions import S3UploadFailedError
    from botocore.config import Config
    from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError
except ImportError:  # without the "s3" extra the other storages must still load
    boto3 = None

log = logging.getLogger(__name__)

SERVE_MODES = ("proxy", "redirect")
#: Error codes meaning "no such object" (HEAD answers carry no body, hence "404").
_MISSING = {"NoSuchKey", "NotFound", "404"}


class S3Storage(Storage):
    name = "s3"

    def __init__(self, config):
        super().__init__(config)
        if boto3 is None:
            raise PluginError("CODEQR_STORAGE='s3' needs boto3: pip install 'codeqr[s3]'")
        self.bucket = config["CODEQR_S3_BUCKET"]
        if not self.bucket:
            raise PluginError("CODEQR_STORAGE='s3' needs CODEQR_S3_BUCKET, the name of the bucket to keep images in")
        self.serve = config["CODEQR_S3_SERVE"]
        if self.serve not in SERVE_MODES:
            raise PluginError(f"CODEQR_S3_SERVE={self.serve!r}: expected one of {', '.join(SERVE_MODES)}")
        self.prefix = config["CODEQR_S3_PREFIX"] or ""
        self.presign_seconds = _positive(config, "CODEQR_S3_PRESIGN_SECONDS", int)
        if self.presign_seconds > 604800:  # S3 refuses SigV4 URLs valid longer than 7 days
            raise PluginError(f"CODEQR_S3_PRESIGN_SECONDS={self.presign_seconds}: at most 604800 (7 days)")
        timeout = _positive(config, "CODEQR_S3_TIMEOUT_SECONDS", float)
        key_id, secret = config["CODEQR_S3_ACCESS_KEY_ID"], config["CODEQR_S3_SECRET_ACCESS_KEY"]
        if bool(key_id) != bool(secret):
            raise PluginError("set both CODEQR_S3_ACCESS_KEY_ID and CODEQR_S3_SECRET_ACCESS_KEY, or neither")
        endpoint = config["CODEQR_S3_ENDPOINT_URL"] or None
        self._client_options = {
            "endpoint_url": endpoint,
            "region_name": config["CODEQR_S3_REGION"],
            "aws_access_key_id": key_id or None,
            "aws_secret_access_key": secret or None,
            "config": Config(
                connect_timeout=timeout,
                read_timeout=timeout,
                # One retry: a down server must answer 503 quickly, not after minutes.
                retries={"total_max_attempts": 2, "mode": "standard"},
                signature_version="s3v4",
                # S3-compatible servers rarely serve bucket subdomains; AWS picks its own style.
                s3={"addressing_style": "path" if endpoint else "auto"},
            ),
        }
        self._client = None
        self._lock = threading.Lock()

    def client(self):
        """Return the boto3 client, made on first use (start-up needs no network)."""
        client = self._client
        if client is None:
            with self._lock:
                if self._client is None:
                    # A session per client: boto3 sessions are not thread-safe, clients are.
                    self._client = boto3.session.Session().client("s3", **self._client_options)
                client = self._client
        return client

    def _key(self, name: str) -> str:
        if "/" in name or "\\" in name or name.startswith("."):
            raise ValueError(f"invalid image name {name!r}")
        return self.prefix + name

    def _fail(self, action: str, name: str, error: Exception) -> StorageUnavailable:
        if isinstance(error, NoCredentialsError):
            # Credentials may appear later (role, env, file): look them up again next time.
            with self._lock:
                self._client = None
        if isinstance(error, ClientError):
            detail = error.response.get("Error", {})
            reason = f"{detail.get('Code', 'error')}: {detail.get('Message', '')}".rstrip(": ")
        else:
            reason = error.__class__.__name__
        log.warning("S3 storage: %s %s in bucket %r failed: %s", action, name, self.bucket, error)
        return StorageUnavailable(f"S3 storage: {action} {self.prefix}{name} in bucket {self.bucket!r} failed ({reason})")

    def get(self, name: str) -> bytes | None:
        key = self._key(name)
        try:
            response = self.client().get_object(Bucket=self.bucket, Key=key)
            return response["Body"].read()
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in _MISSING:
                return None
            raise self._fail("get", name, error) from error
        except BotoCoreError as error:
            raise self._fail("get", name, error) from error

    def put(self, name: str, data: bytes) -> None:
        key = self._key(name)
        # The type is served as stored when clients fetch the object directly (redirect mode).
        media_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
        try:
            self.client().put_object(Bucket=self.bucket, Key=key, Body=data, ContentType=media_type)
        except (ClientError, BotoCoreError) as error:
            raise self._fail("put", name, error) from error

    def put_file(self, name: str, path: str) -> None:
        key = self._key(name)
        try:  # multipart for large files, never whole in memory
            self.client().upload_file(path, self.bucket, key, ExtraArgs={"ContentType": "application/zip"})
        except (ClientError, BotoCoreError, S3UploadFailedError) as error:
            raise self._fail("put", name, error) from error

    def delete(self, name: str) -> None:
        key = self._key(name)
        try:
            self.client().delete_object(Bucket=self.bucket, Key=key)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") not in _MISSING:
                raise self._fail("delete", name, error) from error
        except BotoCoreError as error:
            raise self._fail("delete", name, error) from error

    def exists(self, name: str) -> bool:
        key = self._key(name)
        try:
            self.client().head_object(Bucket=self.bucket, Key=key)
            return True
        except ClientError as error:
            # A missing bucket also answers 404 here; the put that follows reports it.
            if error.response.get("Error", {}).get("Code") in _MISSING:
                return False
            raise self._fail("check", name, error) from error
        except BotoCoreError as error:
            raise self._fail("check", name, error) from error

    def url(self, name: str) -> str | None:
        if self.serve != "redirect":
            return None
        key = self._key(name)
        try:
            return self.client().generate_presigned_url(
                "get_object", Params={"Bucket": self.bucket, "Key": key}, ExpiresIn=self.presign_seconds)
        except (ClientError, BotoCoreError) as error:
            raise self._fail("sign", name, error) from error


def _positive(config, setting: str, kind):
    try:
        value = kind(config[setting])
    except (TypeError, ValueError):
        value = 0
    if value <= 0:
        raise PluginError(f"{setting}={config[setting]!r}: expected a positive number")
    return value


@hookimpl
def codeqr_config_defaults():
    return {
        "CODEQR_S3_BUCKET": None,
        "CODEQR_S3_PREFIX": "images/",
        "CODEQR_S3_ENDPOINT_URL": None,  # None: AWS S3
        "CODEQR_S3_REGION": "us-east-1",
        "CODEQR_S3_ACCESS_KEY_ID": None,  # None: boto3's default credential chain
        "CODEQR_S3_SECRET_ACCESS_KEY": None,
        "CODEQR_S3_SERVE": "proxy",
        "CODEQR_S3_PRESIGN_SECONDS": 300,
        "CODEQR_S3_TIMEOUT_SECONDS": 5,
    }


@hookimpl
def codeqr_register_storages():
    return [S3Storage]
