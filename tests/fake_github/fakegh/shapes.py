"""JSON bodies in the shapes of GitHub's REST API description
(github/rest-api-description, components/schemas and components/examples:
full-repository, short-branch, branch-with-protection, commit, git-ref,
rate-limit-overview, installation-token, installation).

Every function is pure: it takes what it needs and returns a dict. URLs are
built from `Urls`, so the same code serves api.github.com-like roots
(REST at /) and GitHub Enterprise Server-like roots (REST at /api/v3).
"""

import base64
from dataclasses import dataclass
from urllib.parse import quote


def node_id(kind: str, text: str) -> str:
    """GitHub's legacy global ids: base64 of '0<len(kind)>:<kind><id>', so
    'MDEwOlJlcG9zaXRvcnkxMjk2MjY5' is base64('010:Repository1296269')."""
    raw = f"0{len(kind)}:{kind}{text}"
    return base64.b64encode(raw.encode("utf-8")).decode("ascii")


@dataclass(frozen=True)
class Urls:
    web: str  # http://127.0.0.1:PORT (html and clone URLs live here)
    api: str  # web + api prefix ('' or '/api/v3')

    def repo(self, full_name: str) -> str:
        return f"{self.api}/repos/{full_name}"

    def repository_by_id(self, repo_id: int) -> str:
        return f"{self.api}/repositories/{repo_id}"

    def clone(self, full_name: str) -> str:
        return f"{self.web}/{full_name}.git"


def path_segment(text: str) -> str:
    """Branch names go into URLs with '/' kept, as GitHub writes them."""
    return quote(text, safe="/")


def user(login: str, user_id: int, urls: Urls, kind: str = "User") -> dict:
    base = f"{urls.api}/users/{login}"
    return {
        "login": login,
        "id": user_id,
        "node_id": node_id("User", str(user_id)),
        "avatar_url": f"{urls.web}/avatars/u/{user_id}?v=4",
        "gravatar_id": "",
        "url": base,
        "html_url": f"{urls.web}/{login}",
        "followers_url": f"{base}/followers",
        "following_url": f"{base}/following{{/other_user}}",
        "gists_url": f"{base}/gists{{/gist_id}}",
        "starred_url": f"{base}/starred{{/owner}}{{/repo}}",
        "subscriptions_url": f"{base}/subscriptions",
        "organizations_url": f"{base}/orgs",
        "repos_url": f"{base}/repos",
        "events_url": f"{base}/events{{/privacy}}",
        "received_events_url": f"{base}/received_events",
        "type": kind,
        "site_admin": False,
    }


def _repo_hypermedia(full_name: str, urls: Urls) -> dict:
    api = urls.repo(full_name)
    templates = {
        "archive_url": "/{archive_format}{/ref}",
        "assignees_url": "/assignees{/user}",
        "blobs_url": "/git/blobs{/sha}",
        "branches_url": "/branches{/branch}",
        "collaborators_url": "/collaborators{/collaborator}",
        "comments_url": "/comments{/number}",
        "commits_url": "/commits{/sha}",
        "compare_url": "/compare/{base}...{head}",
        "contents_url": "/contents/{+path}",
        "contributors_url": "/contributors",
        "deployments_url": "/deployments",
        "downloads_url": "/downloads",
        "events_url": "/events",
        "forks_url": "/forks",
        "git_commits_url": "/git/commits{/sha}",
        "git_refs_url": "/git/refs{/sha}",
        "git_tags_url": "/git/tags{/sha}",
        "hooks_url": "/hooks",
        "issue_comment_url": "/issues/comments{/number}",
        "issue_events_url": "/issues/events{/number}",
        "issues_url": "/issues{/number}",
        "keys_url": "/keys{/key_id}",
        "labels_url": "/labels{/name}",
        "languages_url": "/languages",
        "merges_url": "/merges",
        "milestones_url": "/milestones{/number}",
        "notifications_url": "/notifications{?since,all,participating}",
        "pulls_url": "/pulls{/number}",
        "releases_url": "/releases{/id}",
        "stargazers_url": "/stargazers",
        "statuses_url": "/statuses/{sha}",
        "subscribers_url": "/subscribers",
        "subscription_url": "/subscription",
        "tags_url": "/tags",
        "teams_url": "/teams",
        "trees_url": "/git/trees{/sha}",
    }
    return {key: api + suffix for key, suffix in templates.items()}


def full_repository(record, default_branch: str, pushed_at, urls: Urls) -> dict:
    """components/schemas/full-repository (the fields a client reads, plus
    the hypermedia URLs); record is a repos.RepoRecord."""
    web = f"{urls.web}/{record.full_name}"
    host = urls.web.split("://", 1)[-1]
    body = {
        "id": record.id,
        "node_id": node_id("Repository", str(record.id)),
        "name": record.name,
        "full_name": record.full_name,
        "owner": user(record.owner, record.owner_id, urls),
        "private": record.private,
        "html_url": web,
        "description": None,
        "fork": False,
        "url": urls.repo(record.full_name),
    }
    body.update(_repo_hypermedia(record.full_name, urls))
    body.update({
        "git_url": f"git://{host}/{record.full_name}.git",
        "ssh_url": f"git@{host.split(':')[0]}:{record.full_name}.git",
        "clone_url": urls.clone(record.full_name),
        "mirror_url": None,
        "svn_url": web,
        "homepage": None,
        "language": None,
        "forks_count": 0, "forks": 0,
        "stargazers_count": 0, "watchers_count": 0, "watchers": 0,
        "size": 0,
        "default_branch": default_branch,
        "open_issues_count": 0, "open_issues": 0,
        "is_template": False,
        "topics": [],
        "has_issues": True, "has_projects": True, "has_wiki": True,
        "has_pages": False, "has_downloads": True, "has_discussions": False,
        "archived": False,
        "disabled": False,
        "visibility": "private" if record.private else "public",
        "pushed_at": pushed_at,
        "created_at": pushed_at,
        "updated_at": pushed_at,
        "permissions": {"admin": False, "maintain": False, "push": False,
                        "triage": False, "pull": True},
        "allow_rebase_merge": True, "allow_squash_merge": True,
        "allow_auto_merge": False, "delete_branch_on_merge": False,
        "allow_merge_commit": True, "allow_forking": True,
        "subscribers_count": 0,
        "network_count": 0,
        "license": None,
    })
    return body


def short_branch(full_name: str, name: str, sha: str, urls: Urls) -> dict:
    """components/schemas/short-branch, one item of GET .../branches."""
    return {
        "name": name,
        "commit": {"sha": sha, "url": f"{urls.repo(full_name)}/commits/{sha}"},
        "protected": False,
    }


def commit(record, c, urls: Urls) -> dict:
    """components/schemas/commit for c (a repos.Commit). author/committer
    are null: the fake has no GitHub accounts to match e-mails against."""
    api = urls.repo(record.full_name)
    web = f"{urls.web}/{record.full_name}"
    return {
        "sha": c.sha,
        "node_id": node_id("Commit", f"{record.id}:{c.sha}"),
        "commit": {
            "author": {"name": c.author.name, "email": c.author.email,
                       "date": c.author.date},
            "committer": {"name": c.committer.name, "email": c.committer.email,
                          "date": c.committer.date},
            "message": c.message,
            "tree": {"sha": c.tree, "url": f"{api}/git/trees/{c.tree}"},
            "url": f"{api}/git/commits/{c.sha}",
            "comment_count": 0,
            "verification": {"verified": False, "reason": "unsigned",
                             "signature": None, "payload": None,
                             "verified_at": None},
        },
        "url": f"{api}/commits/{c.sha}",
        "html_url": f"{web}/commit/{c.sha}",
        "comments_url": f"{api}/commits/{c.sha}/comments",
        "author": None,
        "committer": None,
        "parents": [{"sha": p, "url": f"{api}/commits/{p}",
                     "html_url": f"{web}/commit/{p}"} for p in c.parents],
    }


def branch_with_protection(record, name: str, c, urls: Urls) -> dict:
    """components/schemas/branch-with-protection (example 'branch-get')."""
    api_branch = f"{urls.repo(record.full_name)}/branches/{path_segment(name)}"
    return {
        "name": name,
        "commit": commit(record, c, urls),
        "_links": {
            "self": api_branch,
            "html": f"{urls.web}/{record.full_name}/tree/{path_segment(name)}",
        },
        "protected": False,
        "protection": {
            "enabled": False,
            "required_status_checks": {"enforcement_level": "off",
                                       "contexts": [], "checks": []},
        },
        "protection_url": f"{api_branch}/protection",
    }


def git_ref(record, ref, urls: Urls) -> dict:
    """components/schemas/git-ref (example 'git-ref'); ref is a repos.Ref."""
    api = urls.repo(record.full_name)
    collection = "tags" if ref.object_type == "tag" else f"{ref.object_type}s"
    return {
        "ref": ref.name,
        "node_id": node_id("Ref", f"{record.id}:{ref.name}"),
        "url": f"{api}/git/{path_segment(ref.name)}",
        "object": {"sha": ref.sha, "type": ref.object_type,
                   "url": f"{api}/git/{collection}/{ref.sha}"},
    }


def rate_limit_overview(core: dict) -> dict:
    """components/examples/rate-limit-overview; only 'core' moves here."""
    def fixed(limit):
        return {"limit": limit, "used": 0, "remaining": limit,
                "reset": core["reset"]}
    return {
        "resources": {
            "core": core,
            "search": fixed(30),
            "graphql": fixed(5000),
            "integration_manifest": fixed(5000),
            "source_import": fixed(100),
            "actions_runner_registration": fixed(10000),
            "scim": fixed(15000),
            "dependency_snapshots": fixed(100),
            "code_search": fixed(10),
            "code_scanning_autofix": fixed(10),
        },
        "rate": core,
    }


def installation_token(token: str, expires_at: str) -> dict:
    """components/examples/installation-token (without the repository list:
    the fake's installations cover every repository)."""
    return {
        "token": token,
        "expires_at": expires_at,
        "permissions": {"contents": "read", "metadata": "read"},
        "repository_selection": "all",
    }


def installation(installation_id: int, app_id: int, account, urls: Urls) -> dict:
    """components/schemas/installation, for GET /repos/{o}/{r}/installation."""
    return {
        "id": installation_id,
        "account": account,
        "repository_selection": "all",
        "access_tokens_url":
            f"{urls.api}/app/installations/{installation_id}/access_tokens",
        "repositories_url": f"{urls.api}/installation/repositories",
        "html_url": f"{urls.web}/settings/installations/{installation_id}",
        "app_id": app_id,
        "target_id": account["id"],
        "target_type": account["type"],
        "permissions": {"contents": "read", "metadata": "read"},
        "events": ["push"],
        "created_at": "2024-01-01T00:00:00Z",
        "updated_at": "2024-01-01T00:00:00Z",
        "single_file_name": None,
        "app_slug": "tether-test-app",
        "suspended_by": None,
        "suspended_at": None,
    }
