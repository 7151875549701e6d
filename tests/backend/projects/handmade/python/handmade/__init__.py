from handmade._handmade import area  # type: ignore[import-not-found]

__all__ = ["area"]
