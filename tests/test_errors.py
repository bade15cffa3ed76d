from nbaprops import errors


def test_every_error_is_transient_or_permanent() -> None:
    classes = [
        obj
        for obj in vars(errors).values()
        if isinstance(obj, type)
        and issubclass(obj, errors.NbaPropsError)
        and obj not in (errors.NbaPropsError, errors.TransientError, errors.PermanentError)
    ]
    assert len(classes) >= 12
    for cls in classes:
        assert issubclass(cls, errors.TransientError) != issubclass(cls, errors.PermanentError), cls


def test_docstring_draws_every_class() -> None:
    doc = errors.__doc__ or ""
    for name, obj in vars(errors).items():
        if isinstance(obj, type) and issubclass(obj, errors.NbaPropsError):
            assert name in doc, name


def test_rate_limited_is_a_retryable_source_outage() -> None:
    exc = errors.RateLimited("slow down", retry_after=2.0)
    assert isinstance(exc, errors.SourceUnavailable)
    assert isinstance(exc, errors.TransientError)
    assert exc.retry_after == 2.0
    assert exc.status_code == 429
    assert isinstance(errors.SchemaDrift("x"), errors.PayloadError)
