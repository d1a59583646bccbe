"""English date formats with the time zone named: every time shown without an explicit
format says which zone it is in (the reader's, `frontend.times`)."""

DATETIME_FORMAT = "j M Y, H:i T"
SHORT_DATETIME_FORMAT = "d M Y H:i T"
TIME_FORMAT = "H:i T"
