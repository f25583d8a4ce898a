"""Golf course configuration, as data (``courses.json`` next to this module).

What a course *is* (id, name, website id, client id, scope, API paths, NOAA grid point) is data that
ships with the code. Where it *lives* is configuration: the origin of each course comes from
``settings.golf_origins`` (keyed by course id, as a string) and the NOAA base URL from
``settings.weather_base_url``, so the same data points at the real services or at the fakes.

Lookups: ``by_id`` and ``by_name`` (what a person types: case, spacing and punctuation do not
matter; an exact name wins, otherwise a query that contains a course name, is contained in one, or
whose distinctive words begin words of one; an empty query matches nothing, no match names the
courses).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType

from services.core.errors import ConfigurationError, NotFoundError, ValidationError
from services.core.settings import Settings

_DATA = Path(__file__).with_name("courses.json")
# Words people add to or leave out of a course name; they never tell two courses apart.
_GENERIC_WORDS = frozenset({"golf", "course", "club", "gc", "cc", "country", "links", "the", "at", "of"})


@dataclass(frozen=True)
class GridPoint:
    """A NOAA forecast grid point: ``<office>/<x>,<y>``."""

    office: str
    x: int
    y: int

    def path(self) -> str:
        return f"/gridpoints/{self.office}/{self.x},{self.y}/forecast"


@dataclass(frozen=True)
class Course:
    id: int
    name: str
    address: str
    websiteid: str
    client_id: str
    scope: str
    weather_grid: GridPoint
    actions: Mapping[str, str]

    def action_path(self, action: str) -> str:
        try:
            return self.actions[action]
        except KeyError:
            raise ConfigurationError(f"action not found: {action} (course {self.id})") from None


@lru_cache(maxsize=1)
def load_courses() -> tuple[Course, ...]:
    """Every configured course, read once from ``courses.json``."""
    try:
        raw = json.loads(_DATA.read_text(encoding="utf-8"))
        return tuple(
            Course(id=int(c["id"]), name=c["name"], address=c.get("address", ""), websiteid=c["websiteid"],
                   client_id=c["client_id"], scope=c["scope"],
                   weather_grid=GridPoint(**c["weather_grid"]),
                   actions=MappingProxyType(dict(c["actions"])))
            for c in raw["courses"]
        )
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ConfigurationError(f"failed to load course configuration: {type(exc).__name__}: {exc}") from exc


def course_ids() -> frozenset[int]:
    return frozenset(c.id for c in load_courses())


def find_by_id(course_id: int, courses: tuple[Course, ...] | None = None) -> Course:
    for course in load_courses() if courses is None else courses:
        if course.id == course_id:
            return course
    raise NotFoundError(f"course not found with ID: {course_id}")


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", text.lower())


def _distinctive(words: list[str]) -> list[str]:
    return [w for w in words if w not in _GENERIC_WORDS]


def _matches(query: list[str], course: Course) -> bool:
    """A course matches a query that contains its name, is contained in it, or whose distinctive
    words each begin a word of the name ("birdsfoot golf", "Birdsfoot GC", "totter")."""
    name, wanted = _words(course.name), _distinctive(query)
    if not wanted:  # "golf course" names no course in particular
        return False
    q, n = f" {' '.join(query)} ", f" {' '.join(name)} "
    return q in n or n in q or all(any(word.startswith(w) for word in name) for w in wanted)


def find_by_name(name: str, courses: tuple[Course, ...] | None = None) -> Course:
    """The course a person meant: case, spacing and punctuation do not matter, nor words such as
    "golf", "course" or "club"; a part of the name is enough when it names only one course."""
    query = _words(name or "")
    if not query:
        raise ValidationError.for_field("course_name", "must not be empty")
    courses = load_courses() if courses is None else courses
    exact = [c for c in courses if _words(c.name) == query]
    if exact:
        return exact[0]
    matches = [c for c in courses if _matches(query, c)]
    if len(matches) == 1:
        return matches[0]
    known = ", ".join(c.name for c in courses)
    if matches:
        names = ", ".join(c.name for c in matches)
        raise ValidationError.for_field("course_name", f"{name.strip()!r} is ambiguous: matches {names}")
    raise NotFoundError(f"course not found: {name.strip()!r}; the courses are: {known}")


class CourseCatalog:
    """Courses bound to where they live in one deployment."""

    def __init__(self, origins: Mapping[str, str], weather_base_url: str,
                 courses: tuple[Course, ...] | None = None) -> None:
        self._origins = {str(k): v.rstrip("/") for k, v in origins.items()}
        self._weather_base = weather_base_url.rstrip("/")
        self._courses = courses

    @classmethod
    def from_settings(cls, settings: Settings) -> CourseCatalog:
        return cls(settings.golf_origins, settings.weather_base_url)

    @property
    def courses(self) -> tuple[Course, ...]:
        return self._courses if self._courses is not None else load_courses()

    def by_id(self, course_id: int) -> Course:
        return find_by_id(course_id, self.courses)

    def by_name(self, name: str) -> Course:
        return find_by_name(name, self.courses)

    def origin(self, course: Course) -> str:
        origin = self._origins.get(str(course.id))
        if not origin:
            raise ConfigurationError(f"no origin configured for course {course.id} (GOLF_ORIGINS)")
        return origin

    def url(self, course: Course, action: str) -> str:
        path = course.action_path(action)
        return path if path.startswith(("http://", "https://")) else self.origin(course) + path

    def issuer(self, course: Course) -> str:
        return f"{self.origin(course)}/identityapi"

    def weather_url(self, course: Course) -> str:
        return self.grid_url(course.weather_grid)

    def grid_url(self, grid: GridPoint) -> str:
        return self._weather_base + grid.path()

    @property
    def weather_base_url(self) -> str:
        return self._weather_base

