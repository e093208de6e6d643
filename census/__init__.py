"""Community Census: door-to-door surveys, the registers they make, and their printouts."""

from census.util import astguard

astguard.install()
