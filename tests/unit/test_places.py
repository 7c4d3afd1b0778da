"""Profile locations to country and region (``streams.places``), on real profile texts of the sample tweets."""

from __future__ import annotations

import pytest

from streams.places import UNKNOWN, locate

CASES = [
    # text, country code, region
    ("New York City", "US", "New York"),
    ("Brooklyn, NY", "US", "New York"),
    ("Sunnyvale CA", "US", "California"),
    ("Cary, NC USA", "US", "North Carolina"),
    ("Denver, CO, USA", "US", "Colorado"),
    ("Washington, DC", "US", "District of Columbia"),
    ("Milwaukee, Wisconsin", "US", "Wisconsin"),
    ("C:\\Redmond", "US", "Washington"),
    ("Paris, TX", "US", "Texas"),
    ("Atlanta, Georgia", "US", "Georgia"),
    ("London, England", "GB", "England"),
    ("London, UK", "GB", None),
    ("Anfield, Liverpool", "GB", None),
    ("Leeds/London", "GB", None),
    ("Istanbul / Turkey", "TR", None),
    ("İzmir ", "TR", None),
    ("Türkiye", "TR", None),
    ("Paris", "FR", None),
    ("Barcelona", "ES", None),
    ("Vancouver, Canada", "CA", None),
    ("Melbourne, Australia", "AU", None),
    ("São Paulo, Brasil", "BR", None),
    ("Mumbai, India", "IN", None),
    ("Tbilisi, Georgia", "GE", None),
    ("Georgia", "GE", None),
    ("🇩🇪", "DE", None),
    ("Barranquilla", "CO", None),
]


@pytest.mark.parametrize(("text", "country", "region"), CASES)
def test_a_profile_location_names_its_country_and_region(text, country, region):
    place = locate(text)
    assert (place.country_code, place.region) == (country, region)
    assert place.country is not None


@pytest.mark.parametrize("text", ["", "   ", None, "Everywhere", "Worldwide", "All over the world", "América Latina",
                                  "neverland", "RessamBob@outlook.com ", "namaste❗️", "LA", "https://example.com"])
def test_text_that_names_no_known_place_is_unknown(text):
    assert locate(text) == UNKNOWN


def test_a_country_named_in_the_text_wins_over_a_bigger_city_elsewhere():
    assert locate("London, Canada").country_code == "CA"
    assert locate("London").country_code == "GB"
