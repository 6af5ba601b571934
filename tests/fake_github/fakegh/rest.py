"""The REST API: routes, and the pipeline every REST request goes through.

The pipeline, in GitHub's order as far as a client can tell:
  slow-response delay -> 5xx burst -> authentication (401) ->
  secondary rate limit (403/429) -> primary rate limit (403) ->
  the endpoint -> conditional GET (304) -> rate-limit charge and headers.

What costs primary rate limit, as on GitHub: every answered REST request
except GET /rate_limit, and except a 304 to an authenticated conditional
request. Injected faults and 401s cost nothing here.

Thread safety: RestApi keeps no per-request state; everything shared lives
in the FakeGitHub components, which lock themselves.
"""

import hashlib
import math
import re
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Callable, Optional
from urllib.parse import parse_qsl, unquote, urlencode

from . import auth, shapes
from .counters import RequestRecord
from .http_util import (DOCS_ROOT, HttpError, Response, github_error,
                        json_response, new_request_id)

ACCESS_CONTROL_EXPOSE = (
    "ETag, Link, Location, Retry-After, X-GitHub-OTP, X-RateLimit-Limit, "
    "X-RateLimit-Remaining, X-RateLimit-Used, X-RateLimit-Resource, "
    "X-RateLimit-Reset, X-OAuth-Scopes, X-Accepted-OAuth-Scopes, "
    "X-Poll-Interval, X-GitHub-Media-Type, X-GitHub-SSO, X-GitHub-Request-Id, "
    "Deprecation, Sunset")
PRIMARY_LIMIT_DOCS = ("https://docs.github.com/rest/overview/"
                      "rate-limits-for-the-rest-api#about-primary-rate-limits")
SECONDARY_LIMIT_DOCS = ("https://docs.github.com/rest/overview/"
                        "rate-limits-for-the-rest-api#about-secondary-rate-limits")
REDIRECT_DOCS = "https://docs.github.com/v3/#http-redirects"
PERMISSIONS_DOCS = ("https://docs.github.com/rest/overview/"
                    "permissions-required-for-github-apps")
DEFAULT_PER_PAGE, MAX_PER_PAGE = 30, 100


@dataclass
class RestRequest:
    method: str
    path: str        # without the API prefix, still percent-encoded
    query: str
    headers: object  # email.message.Message from http.server
    body: bytes
    request_id: str = field(default_factory=new_request_id)
    identity: auth.Identity = auth.ANONYMOUS
    route: Optional["Route"] = None

    def query_pairs(self) -> list:
        return parse_qsl(self.query, keep_blank_values=True)

    def query_value(self, name: str) -> Optional[str]:
        return dict(self.query_pairs()).get(name)


@dataclass(frozen=True)
class Route:
    method: str
    regex: re.Pattern
    endpoint: str   # template, the key of the request counters
    handler: Callable
    docs: str       # documentation_url of errors from this endpoint
    auth: str = "token"  # "token" or "app_jwt"
    charged: bool = True


def _repo_routes(suffix_regex: str, suffix_template: str, handler, docs):
    """The same endpoint under /repos/{owner}/{repo} and /repositories/{id}:
    GitHub's pagination links and redirects use the second form."""
    return [
        Route("GET", re.compile(r"^/repos/(?P<owner>[^/]+)/(?P<repo>[^/]+)"
                                + suffix_regex + "$"),
              "GET /repos/{owner}/{repo}" + suffix_template, handler, docs),
        Route("GET", re.compile(r"^/repositories/(?P<repo_id>\d+)"
                                + suffix_regex + "$"),
              "GET /repositories/{id}" + suffix_template, handler, docs),
    ]


def etag_for(body: bytes) -> str:
    return 'W/"%s"' % hashlib.md5(body).hexdigest()


def etag_matches(if_none_match: Optional[str], etag: str) -> bool:
    """Weak comparison (RFC 9110 13.1.2), as GitHub applies If-None-Match."""
    if not if_none_match:
        return False
    wanted = {t.strip() for t in if_none_match.split(",")}
    if "*" in wanted:
        return True
    opaque = etag[2:] if etag.startswith("W/") else etag
    return any((t[2:] if t.startswith("W/") else t) == opaque for t in wanted)


def utc_timestamp(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


class RestApi:
    def __init__(self, gh):
        self.gh = gh  # app.FakeGitHub
        self.routes = self._build_routes()

    def _build_routes(self) -> list:
        docs = "https://docs.github.com/rest"
        routes = []
        routes += _repo_routes("", "", self.get_repository,
                               f"{docs}/repos/repos#get-a-repository")
        routes += _repo_routes("/branches", "/branches", self.list_branches,
                               f"{docs}/branches/branches#list-branches")
        routes += _repo_routes("/branches/(?P<branch>.+)", "/branches/{branch}",
                               self.get_branch,
                               f"{docs}/branches/branches#get-a-branch")
        routes += _repo_routes("/git/ref/(?P<ref>.+)", "/git/ref/{ref}",
                               self.get_ref, f"{docs}/git/refs#get-a-reference")
        routes += _repo_routes("/git/matching-refs/(?P<ref>.*)",
                               "/git/matching-refs/{ref}", self.matching_refs,
                               f"{docs}/git/refs#list-matching-references")
        routes.append(Route(
            "GET", re.compile(r"^/rate_limit$"), "GET /rate_limit",
            self.rate_limit,
            f"{docs}/rate-limit/rate-limit#get-rate-limit-status-for-the-authenticated-user",
            charged=False))
        routes.append(Route(
            "POST", re.compile(r"^/app/installations/(?P<installation_id>\d+)/access_tokens$"),
            "POST /app/installations/{installation_id}/access_tokens",
            self.create_installation_token,
            f"{docs}/apps/apps#create-an-installation-access-token-for-an-app",
            auth="app_jwt", charged=False))
        routes.append(Route(
            "GET", re.compile(r"^/repos/(?P<owner>[^/]+)/(?P<repo>[^/]+)/installation$"),
            "GET /repos/{owner}/{repo}/installation", self.get_repo_installation,
            f"{docs}/apps/apps#get-a-repository-installation-for-the-authenticated-app",
            auth="app_jwt", charged=False))
        return routes

    def _match(self, method: str, path: str):
        for route in self.routes:
            found = route.regex.match(path)
            if found and route.method == method:
                return route, {k: unquote(v) for k, v in found.groupdict().items()}
        return None, {}

    # -- the pipeline ---------------------------------------------------

    def handle(self, req: RestRequest):
        """Answer one REST request. Returns (Response, RequestRecord)."""
        route, params = self._match(req.method, req.path)
        req.route = route
        bucket_charged = False
        try:
            response = self._faults_before_auth()
            if response is None:
                self._authenticate(req)
                response = self._limits_before_endpoint(req)
            if response is None:
                response = self._deep_json_fault()
            if response is None:
                response, bucket_charged = self._run_endpoint(req, params)
        except HttpError as error:
            response = error.response
        self._add_common_headers(req, response)
        record = RequestRecord(
            method=req.method,
            path=req.path + (f"?{req.query}" if req.query else ""),
            endpoint=route.endpoint if route else "unmatched",
            status=response.status, charged=bucket_charged,
            identity=req.identity.kind)
        return response, record

    def _faults_before_auth(self) -> Optional[Response]:
        delay = self.gh.faults.take_delay_seconds("rest")
        if delay:
            time.sleep(delay)
        status = self.gh.faults.take_server_error("rest")
        if status is None:
            return None
        message = "Service Unavailable" if status == 503 else "Server Error"
        return github_error(status, message)

    def _deep_json_fault(self) -> Optional[Response]:
        levels = self.gh.faults.take_deep_json("rest")
        if levels is None:
            return None
        return Response(200, b"[" * levels + b"]" * levels,
                        {"content-type": "application/json; charset=utf-8"})

    def _authenticate(self, req: RestRequest) -> None:
        """Sets req.identity, or raises HttpError(401)."""
        header = req.headers.get("Authorization")
        if req.route is not None and req.route.auth == "app_jwt":
            req.identity = self._authenticate_app(header)
            return
        token = auth.token_from_rest_header(header)
        if token is None:
            req.identity = auth.ANONYMOUS
            return
        state, entry = self.gh.tokens.check(token)
        if state != auth.VALID:
            raise HttpError(github_error(401, "Bad credentials"))
        req.identity = entry.identity()

    def _authenticate_app(self, header: Optional[str]) -> auth.Identity:
        scheme, _, jwt = (header or "").partition(" ")
        if scheme.lower() != "bearer" or not jwt.strip():
            raise HttpError(github_error(
                401, "A JSON web token could not be decoded"))
        try:
            self.gh.apps.verify(jwt.strip())
        except auth.JwtError as error:
            raise HttpError(github_error(401, str(error))) from None
        return auth.Identity("app", "authenticated", "app")

    def _limits_before_endpoint(self, req: RestRequest) -> Optional[Response]:
        secondary = self.gh.faults.take_secondary_limit("rest")
        if secondary is not None:
            headers = {}
            if secondary["retry_after"] is not None:
                headers["retry-after"] = str(secondary["retry_after"])
            return github_error(
                secondary["status"],
                "You have exceeded a secondary rate limit. Please wait a few "
                "minutes before you try again. If you reach out to GitHub "
                "Support for help, please include the request ID "
                f"{req.request_id}.", SECONDARY_LIMIT_DOCS, headers)
        forbidden = self.gh.faults.take_forbidden("rest")
        if forbidden is not None:
            # As GitHub answers a token that lacks a permission: a plain
            # 403, quota left, no retry-after.
            return github_error(403, forbidden, PERMISSIONS_DOCS)
        counts = req.route is not None and req.route.charged
        bucket = req.identity.rate_bucket
        if counts and self.gh.limiter.is_exhausted(bucket):
            return github_error(self.gh.limiter.exceeded_status(bucket),
                                self._primary_limit_message(req.identity),
                                PRIMARY_LIMIT_DOCS)
        return None

    @staticmethod
    def _primary_limit_message(identity: auth.Identity) -> str:
        if identity.authenticated:
            return f"API rate limit exceeded for {identity.label}."
        return (f"API rate limit exceeded for {identity.label}. (But here's the "
                "good news: Authenticated requests get a higher rate limit. "
                "Check out the documentation for more details.)")

    def _run_endpoint(self, req: RestRequest, params: dict):
        """(response, charged): the endpoint's answer, made conditional."""
        if req.route is None:
            response = github_error(404, "Not Found", DOCS_ROOT)
            return response, self._charge(req, response)
        try:
            response = req.route.handler(req, **params)
        except HttpError as error:
            response = error.response
        if req.method == "GET" and response.status == 200:
            response.headers["etag"] = etag_for(response.body)
            if etag_matches(req.headers.get("If-None-Match"), response.headers["etag"]):
                response = Response(304, b"", {"etag": response.headers["etag"]})
        charged = req.route.charged and self._charge(req, response)
        return response, charged

    def _charge(self, req: RestRequest, response: Response) -> bool:
        # GitHub: "a 304 ... does not count against your primary rate limit"
        # when the request was authorized.
        if response.status == 304 and req.identity.authenticated:
            return False
        charged, _ = self.gh.limiter.try_charge(req.identity.rate_bucket)
        return charged

    def _add_common_headers(self, req: RestRequest, response: Response) -> None:
        bucket = self.gh.limiter.peek(req.identity.rate_bucket)
        headers = {
            "content-type": "application/json; charset=utf-8",
            "x-github-media-type": "github.v3; format=json",
            "x-github-api-version-selected": "2022-11-28",
            "x-github-request-id": req.request_id,
            "access-control-allow-origin": "*",
            "access-control-expose-headers": ACCESS_CONTROL_EXPOSE,
            "x-content-type-options": "nosniff",
            "x-frame-options": "deny",
            "x-xss-protection": "0",
            "referrer-policy": "origin-when-cross-origin, strict-origin-when-cross-origin",
            "content-security-policy": "default-src 'none'",
            "vary": "Accept, Authorization, Cookie, X-GitHub-OTP, Accept-Encoding",
        }
        if req.identity.kind == "user":
            headers["x-oauth-scopes"] = "repo"
            headers["x-accepted-oauth-scopes"] = "repo"
        if response.status in (200, 304):
            headers["cache-control"] = ("private" if req.identity.authenticated
                                        else "public") + ", max-age=60, s-maxage=60"
        headers.update(bucket.headers())
        headers.update(response.headers)  # the endpoint's own win
        response.headers = headers

    # -- endpoints ------------------------------------------------------

    def _repository(self, req: RestRequest, owner=None, repo=None, repo_id=None):
        """The repository the path names, or HttpError(404). A private
        repository is 404 to anonymous callers, as GitHub hides it."""
        if repo_id is not None:
            record = self.gh.repos.by_id(int(repo_id))
        else:
            record = self.gh.repos.find(owner, repo)
        if record is None or (record.private and not req.identity.authenticated):
            raise HttpError(github_error(404, "Not Found", req.route.docs))
        return record

    def get_repository(self, req, **where) -> Response:
        record = self._repository(req, **where)
        git = record.git()
        document = shapes.full_repository(record, git.default_branch(),
                                          git.last_push_time(), self.gh.urls)
        return json_response(200, document)

    def list_branches(self, req, **where) -> Response:
        record = self._repository(req, **where)
        branches = record.git().branches()
        if req.query_value("protected") == "true":
            branches = []  # the fake protects no branch
        page_items, link = self._paginate(req, branches, record.id, "/branches")
        document = [shapes.short_branch(record.full_name, name, sha, self.gh.urls)
                    for name, sha in page_items]
        return json_response(200, document, {"link": link} if link else {})

    def _paginate(self, req, items: list, repo_id: int, suffix: str):
        """(items of the asked page, Link header or None). Links point at
        /repositories/{id}/..., keep the other query parameters in order and
        put page last, exactly like GitHub's."""
        per_page = _int_param(req.query_value("per_page"), DEFAULT_PER_PAGE)
        per_page = min(max(per_page, 1), MAX_PER_PAGE)
        page = max(_int_param(req.query_value("page"), 1), 1)
        last = max(1, math.ceil(len(items) / per_page))
        kept = [(k, v) for k, v in req.query_pairs() if k != "page"]
        base = self.gh.urls.repository_by_id(repo_id) + suffix

        def url(n):
            return f"<{base}?{urlencode(kept + [('page', str(n))])}>"
        links = []
        if page > 1:
            links.append(f'{url(min(page - 1, last))}; rel="prev"')
        if page < last:
            links.append(f'{url(page + 1)}; rel="next"')
            links.append(f'{url(last)}; rel="last"')
        if page > 1:
            links.append(f'{url(1)}; rel="first"')
        start = (page - 1) * per_page
        return items[start:start + per_page], (", ".join(links) or None)

    def get_branch(self, req, branch, **where) -> Response:
        record = self._repository(req, **where)
        renamed = self.gh.faults.renamed_branch(record.full_name, branch)
        if renamed is not None:
            return self._moved_permanently(where, renamed)
        git = record.git()
        sha = git.branch_sha(branch)
        if sha is None:
            raise HttpError(github_error(404, "Branch not found", req.route.docs))
        document = shapes.branch_with_protection(record, branch, git.commit(sha),
                                                 self.gh.urls)
        return json_response(200, document)

    def _moved_permanently(self, where: dict, new_branch: str) -> Response:
        """GitHub answers a renamed branch with 301 to the new branch's URL
        (in the form the request used: /repos/... or /repositories/...)."""
        if "repo_id" in where:
            base = self.gh.urls.repository_by_id(int(where["repo_id"]))
        else:
            base = self.gh.urls.repo(
                f"{shapes.path_segment(where['owner'])}/{shapes.path_segment(where['repo'])}")
        location = f"{base}/branches/{shapes.path_segment(new_branch)}"
        return github_error(301, "Moved Permanently", REDIRECT_DOCS,
                            {"location": location}, url=location)

    def get_ref(self, req, ref, **where) -> Response:
        record = self._repository(req, **where)
        found = record.git().ref("refs/" + ref)
        if found is None:
            raise HttpError(github_error(404, "Not Found", req.route.docs))
        return json_response(200, shapes.git_ref(record, found, self.gh.urls))

    def matching_refs(self, req, ref, **where) -> Response:
        record = self._repository(req, **where)
        refs = record.git().refs("refs/" + ref)
        return json_response(200, [shapes.git_ref(record, r, self.gh.urls)
                                   for r in refs])

    def rate_limit(self, req) -> Response:
        bucket = self.gh.limiter.peek(req.identity.rate_bucket)
        return json_response(200, shapes.rate_limit_overview(bucket.as_json()))

    def create_installation_token(self, req, installation_id) -> Response:
        config = self.gh.apps.config()
        if int(installation_id) not in config.installations:
            raise HttpError(github_error(404, "Not Found", req.route.docs))
        token = auth.new_installation_token()
        entry = self.gh.tokens.add(token, expires_in=config.token_ttl_seconds,
                                   kind="installation",
                                   installation_id=int(installation_id))
        return json_response(201, shapes.installation_token(
            token, utc_timestamp(entry.expires_at)))

    def get_repo_installation(self, req, owner, repo) -> Response:
        config = self.gh.apps.config()
        record = self.gh.repos.find(owner, repo)
        if record is None or not config.installations:
            raise HttpError(github_error(404, "Not Found", req.route.docs))
        account = shapes.user(record.owner, record.owner_id, self.gh.urls)
        return json_response(200, shapes.installation(
            min(config.installations), config.app_id, account, self.gh.urls))


def _int_param(text: Optional[str], default: int) -> int:
    try:
        return int(text) if text is not None else default
    except ValueError:
        return default
