"""Golf course configuration, as data (``courses.json`` next to this module).

What a course *is* (id, name, website id, client id, scope, API paths, NOAA grid point) is data that
ships with the code. Where it *lives* is configuration: the origin of each course comes from
``settings.golf_origins`` (keyed by course id, as a string) and the NOAA base URL from
``settings.weather_base_url``, so the same data points at the real services or at the fakes.

Lookups: ``by_id`` and ``by_name`` (case-insensitive; an exact name wins, otherwise a query that
contains a course name or is contained in one; an empty query matches nothing).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType

from services.core.errors import ConfigurationError, NotFoundError, ValidationError
from services.core.settings import Settings

_DATA = Path(__file__).with_name("courses.json")


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


def find_by_name(name: str, courses: tuple[Course, ...] | None = None) -> Course:
    query = (name or "").strip().lower()
    if not query:
        raise ValidationError.for_field("course_name", "must not be empty")
    courses = load_courses() if courses is None else courses
    exact = [c for c in courses if c.name.lower() == query]
    if exact:
        return exact[0]
    matches = [c for c in courses if query in c.name.lower() or c.name.lower() in query]
    if len(matches) == 1:
        return matches[0]
    if matches:
        names = ", ".join(c.name for c in matches)
        raise ValidationError.for_field("course_name", f"is ambiguous: matches {names}")
    raise NotFoundError(f"course not found: {name}")


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

