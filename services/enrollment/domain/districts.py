"""Where a district is, so that the catalog can put the nearest cohorts first.

One point per district: its office (구청/시청), rounded to three decimals (about 100 m). The
distance between two districts is the great-circle distance between their points; a cohort is as
far from a citizen as its campus's district is from the citizen's. That is coarse inside one
district and fine between districts, which is what "the nearest one" needs. The 25 districts of
Seoul and the Gyeonggi cities where seeded campuses stand (군포시: 남부기술교육원; 안산시: the
higher vocational education hub).
"""

from math import asin, cos, radians, sin, sqrt
from types import MappingProxyType

EARTH_RADIUS_KM = 6371.0

# (latitude, longitude) of each district office, approximate.
DISTRICTS = MappingProxyType(
    {
        "종로구": (37.573, 126.979),
        "중구": (37.564, 126.998),
        "용산구": (37.532, 126.990),
        "성동구": (37.563, 127.037),
        "광진구": (37.539, 127.082),
        "동대문구": (37.574, 127.040),
        "중랑구": (37.607, 127.093),
        "성북구": (37.589, 127.017),
        "강북구": (37.640, 127.026),
        "도봉구": (37.669, 127.047),
        "노원구": (37.654, 127.057),
        "은평구": (37.603, 126.929),
        "서대문구": (37.579, 126.937),
        "마포구": (37.566, 126.902),
        "양천구": (37.517, 126.867),
        "강서구": (37.551, 126.850),
        "구로구": (37.495, 126.887),
        "금천구": (37.457, 126.896),
        "영등포구": (37.526, 126.896),
        "동작구": (37.512, 126.939),
        "관악구": (37.478, 126.952),
        "서초구": (37.484, 127.033),
        "강남구": (37.517, 127.047),
        "송파구": (37.515, 127.106),
        "강동구": (37.530, 127.124),
        "군포시": (37.362, 126.935),
        "안산시": (37.322, 126.831),
    }
)


class UnknownDistrict(ValueError):
    pass


def distance_km(a: str, b: str) -> float:
    """Great-circle distance between the offices of two districts."""
    try:
        (lat1, lon1), (lat2, lon2) = DISTRICTS[a], DISTRICTS[b]
    except KeyError as error:
        raise UnknownDistrict(str(error)) from error
    phi1, phi2 = radians(lat1), radians(lat2)
    d_phi, d_lambda = phi2 - phi1, radians(lon2 - lon1)
    h = sin(d_phi / 2) ** 2 + cos(phi1) * cos(phi2) * sin(d_lambda / 2) ** 2
    return 2 * EARTH_RADIUS_KM * asin(sqrt(h))
