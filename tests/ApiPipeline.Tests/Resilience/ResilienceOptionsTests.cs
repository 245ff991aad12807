namespace ApiPipeline.Tests.Resilience;

/// <summary>The one duration parser, option validation, and the path from attributes to the options in force.</summary>
public sealed class ResilienceOptionsTests
{
    [Theory]
    [InlineData("0", 0)]
    [InlineData("500ms", 500)]
    [InlineData("30s", 30_000)]
    [InlineData("2m", 120_000)]
    [InlineData("1h30m", 5_400_000)]
    [InlineData("1d", 86_400_000)]
    [InlineData("1m30s250ms", 90_250)]
    [InlineData("90s", 90_000)]
    public void Durations_parse(string text, long milliseconds)
    {
        Assert.Equal(TimeSpan.FromMilliseconds(milliseconds), Duration.Parse(text));
        Assert.True(Duration.TryParse(text, out var value));
        Assert.Equal(TimeSpan.FromMilliseconds(milliseconds), value);
    }

    [Theory]
    [InlineData("", "it is empty")]
    [InlineData("30", "has no unit")]
    [InlineData("30 s", "unexpected ' ' at position 2")]
    [InlineData("1.5s", "use a smaller unit instead of a fraction")]
    [InlineData("5x", "'x' is not a unit")]
    [InlineData("30S", "'S' is not a unit")]
    [InlineData("30m1h", "repeated or out of order")]
    [InlineData("1s1s", "repeated or out of order")]
    [InlineData("-1s", "expected a digit")]
    [InlineData("99999999999999999999s", "too large")]
    [InlineData("9999999999999d", "too long")]
    public void Bad_durations_fail_naming_the_literal_and_the_accepted_forms(string text, string problem)
    {
        var ex = Assert.Throws<FormatException>(() => Duration.Parse(text));

        Assert.Contains($"\"{text}\"", ex.Message, StringComparison.Ordinal);
        Assert.Contains(problem, ex.Message, StringComparison.Ordinal);
        Assert.Contains("\"500ms\", \"30s\", \"2m\", \"1h30m\"", ex.Message, StringComparison.Ordinal);
        Assert.False(Duration.TryParse(text, out _));
    }

    [Theory]
    [InlineData(0, "0")]
    [InlineData(500, "500ms")]
    [InlineData(5_400_000, "1h30m")]
    [InlineData(90_250, "1m30s250ms")]
    public void Durations_format_in_the_form_they_parse(long milliseconds, string text)
    {
        Assert.Equal(text, Duration.Format(TimeSpan.FromMilliseconds(milliseconds)));
        Assert.Equal(TimeSpan.FromMilliseconds(milliseconds), Duration.Parse(Duration.Format(TimeSpan.FromMilliseconds(milliseconds))));
    }

    [Fact]
    public void Attribute_arguments_become_the_generated_definitions_options()
    {
        var retry = RetryingRows.Definition.Resilience.Retry!;
        Assert.Equal((3, Backoff.Exponential, TimeSpan.FromMilliseconds(1), TimeSpan.FromMilliseconds(5), false, RetryOptions.DefaultMaxRetryAfter), (retry.MaxRetries, retry.Backoff, retry.BaseDelay, retry.MaxDelay, retry.Jitter, retry.MaxRetryAfter));
        Assert.Null(RetryingRows.Definition.Resilience.CircuitBreaker);
        Assert.Equal(ErrorMode.FailFast, RetryingRows.Definition.Resilience.OnError);

        Assert.Equal(TimeSpan.FromMilliseconds(300), TimedRows.Definition.Resilience.Timeout!.PerAttempt);
        Assert.Equal(TimeSpan.Zero, TimedRows.Definition.Resilience.Timeout!.Total);
        Assert.Equal((10.0, 0, 0, true), (LimitedRows.Definition.Resilience.RateLimit!.RequestsPerSecond, LimitedRows.Definition.Resilience.RateLimit.Burst, LimitedRows.Definition.Resilience.RateLimit.MaxConcurrent, LimitedRows.Definition.Resilience.RateLimit.AdaptOn429));
        Assert.Equal(ErrorMode.DeadLetter, DeadLetterRows.Definition.Resilience.OnError);
        Assert.Same(ResilienceOptions.None, PlainRows.Definition.Resilience);
        Assert.Null(PlainRows.Definition.Auth);

        var auth = OAuthRows.Definition.Auth!;
        Assert.Equal((AuthKind.OAuth2ClientCredentials, "APIPIPELINE_TEST_CLIENT_ID", "APIPIPELINE_TEST_CLIENT_SECRET", "rows:read", TimeSpan.FromSeconds(60)), (auth.Kind, auth.Id, auth.Secret, auth.Scope, auth.RefreshBefore));
        Assert.Equal((null, OAuthClientAuthentication.Post), (auth.Audience, auth.ClientAuthentication));
        var parallel = OAuthParallelRows.Definition.Auth!;
        Assert.Equal(("https://rows.example.invalid", OAuthClientAuthentication.Basic), (parallel.Audience, parallel.ClientAuthentication));
    }

    [Fact]
    public void Run_time_options_replace_the_attributes_and_report_the_settings_in_force()
    {
        var generated = new RetryingRows();
        var engine = new HttpExtractor<Shard, Row>(RetryingRows.Definition, null, new ExtractorOptions
        {
            Resilience = RetryingRows.Definition.Resilience with { Retry = RetryingRows.Definition.Resilience.Retry! with { MaxRetries = 9 }, OnError = ErrorMode.Skip },
        });

        Assert.Equal(ErrorMode.FailFast, generated.OnError);
        Assert.Equal(9, engine.Resilience.Retry!.MaxRetries);
        Assert.Equal(ErrorMode.Skip, engine.OnError);
        Assert.Equal(ErrorMode.Skip, ((IExtractor<Shard, Row>)engine).OnError);
    }

    [Theory]
    [InlineData("Retry.MaxRetries must be 0 or more")]
    [InlineData("CircuitBreaker.FailureRatio must be above 0 and at most 1")]
    [InlineData("CircuitBreaker.MinimumThroughput must be 2 or more")]
    [InlineData("RateLimit.RequestsPerSecond must be 0 (no limit) or positive")]
    [InlineData("RateLimit.MaxConcurrent must be 0 (no limit) or positive")]
    [InlineData("Timeout.PerAttempt must be 0 (none) or between 10ms and 1d")]
    public void Out_of_range_settings_are_rejected_naming_the_setting(string problem)
    {
        var bad = problem.Split(' ')[0] switch
        {
            "Retry.MaxRetries" => new ResilienceOptions { Retry = new() { MaxRetries = -1 } },
            "CircuitBreaker.FailureRatio" => new ResilienceOptions { CircuitBreaker = new() { FailureRatio = 1.5 } },
            "CircuitBreaker.MinimumThroughput" => new ResilienceOptions { CircuitBreaker = new() { MinimumThroughput = 1 } },
            "RateLimit.RequestsPerSecond" => new ResilienceOptions { RateLimit = new() { RequestsPerSecond = double.NaN } },
            "RateLimit.MaxConcurrent" => new ResilienceOptions { RateLimit = new() { MaxConcurrent = -2 } },
            _ => new ResilienceOptions { Timeout = new() { PerAttempt = TimeSpan.FromMilliseconds(1) } },
        };

        var ex = Assert.Throws<ArgumentException>(() => new RetryingRows(new ExtractorOptions { Resilience = bad }));

        Assert.Contains("Extractor 'RetryingRows'", ex.Message, StringComparison.Ordinal);
        Assert.Contains(problem, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Auth_settings_a_kind_needs_are_required()
    {
        var ex = Assert.Throws<ArgumentException>(() => new BearerRows(new ExtractorOptions { Auth = new AuthOptions { Kind = AuthKind.Bearer } }));
        Assert.Contains("AuthKind.Bearer needs Secret", ex.Message, StringComparison.Ordinal);

        ex = Assert.Throws<ArgumentException>(() => new OAuthRows(new ExtractorOptions { Auth = OAuthRows.Definition.Auth! with { TokenUrl = "not a url" } }));
        Assert.Contains("TokenUrl", ex.Message, StringComparison.Ordinal);

        ex = Assert.Throws<ArgumentException>(() => new OAuthRows(new ExtractorOptions { Auth = OAuthRows.Definition.Auth! with { ClientAuthentication = (OAuthClientAuthentication)7 } }));
        Assert.Contains("ClientAuthentication 7 is not an OAuthClientAuthentication value", ex.Message, StringComparison.Ordinal);

        ex = Assert.Throws<ArgumentException>(() => new BasicRows(new ExtractorOptions { Auth = BasicRows.Definition.Auth! with { Id = null } }));
        Assert.Contains("AuthKind.Basic needs Id", ex.Message, StringComparison.Ordinal);
        _ = new BasicRows(new ExtractorOptions { Auth = BasicRows.Definition.Auth! with { Secret = null } });
    }

    [Fact]
    public void Transient_failures_are_classified_by_kind_and_status()
    {
        static ExtractionException Error(ExtractionErrorKind kind, int? status = null, TimeSpan? retryAfter = null)
            => new(kind, "x", 1, "http://h/", "d", (System.Net.HttpStatusCode?)status) { RetryAfter = retryAfter };

        var cap = TimeSpan.FromMinutes(5);
        Assert.True(PageResilience.IsTransient(Error(ExtractionErrorKind.Transport), cap));
        Assert.True(PageResilience.IsTransient(Error(ExtractionErrorKind.Timeout), cap));
        Assert.True(PageResilience.IsTransient(new Polly.Timeout.TimeoutRejectedException(), cap));
        foreach (int status in new[] { 408, 500, 502, 503, 504, 599 })
        {
            Assert.True(PageResilience.IsTransient(Error(ExtractionErrorKind.HttpStatus, status), cap), status.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        Assert.True(PageResilience.IsTransient(Error(ExtractionErrorKind.RateLimited, 429, TimeSpan.FromSeconds(30)), cap));
        Assert.False(PageResilience.IsTransient(Error(ExtractionErrorKind.RateLimited, 429, TimeSpan.FromHours(1)), cap));
        foreach (int status in new[] { 400, 401, 403, 404, 409, 422, 501, 505 })
        {
            Assert.False(PageResilience.IsTransient(Error(ExtractionErrorKind.HttpStatus, status), cap), status.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        foreach (var kind in new[] { ExtractionErrorKind.InvalidJson, ExtractionErrorKind.RecordMismatch, ExtractionErrorKind.UnexpectedShape, ExtractionErrorKind.PaginationLoop, ExtractionErrorKind.BodyTooLarge, ExtractionErrorKind.CircuitOpen, ExtractionErrorKind.Authentication })
        {
            Assert.False(PageResilience.IsTransient(Error(kind), cap), kind.ToString());
        }
    }
}
