using System.Net;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace ApiPipeline;

/// <summary>
/// The engine behind every generated extractor: sends each page's request, reads the body into a pooled buffer, parses records,
/// cursor and totals in one pass and asks the <see cref="Paginator"/> for the next request. A page is yielded only once it has been
/// read and validated in full.
/// </summary>
/// <typeparam name="TIn">The input type.</typeparam>
/// <typeparam name="TOut">The record type.</typeparam>
public sealed class HttpExtractor<TIn, TOut> : IExtractor<TIn, TOut>
{
    private const int SnippetChars = 300;
    private readonly ExtractorDefinition<TIn, TOut> _definition;
    private readonly HttpClient _http;
    private readonly ExtractorOptions _options;
    private readonly PaginationOptions _pagination;
    private readonly PageLayout _layout;
    private readonly Uri _baseUrl;
    private JsonTypeInfo<TOut>? _typeInfo;

    /// <summary>Creates the engine for one extractor.</summary>
    /// <param name="definition">The generated definition.</param>
    /// <param name="httpClient">The client to send requests with; <see langword="null"/> for a shared one.</param>
    /// <param name="options">Run-time overrides.</param>
    public HttpExtractor(ExtractorDefinition<TIn, TOut> definition, HttpClient? httpClient = null, ExtractorOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(definition);
        _definition = definition;
        _http = httpClient ?? SharedHttp.Client;
        _options = options ?? new ExtractorOptions();
        _pagination = _options.Apply(definition.Pagination);
        _pagination.Validate(definition.Name);
        _layout = new PageLayout(_pagination);
        string baseUrl = _options.BaseUrl ?? definition.BaseUrl;
        if (!Uri.TryCreate(baseUrl, UriKind.Absolute, out var parsed) || (parsed.Scheme != Uri.UriSchemeHttp && parsed.Scheme != Uri.UriSchemeHttps))
        {
            throw new ArgumentException($"Extractor '{definition.Name}': the base URL '{UrlRedactor.Redact(baseUrl)}' is not an absolute http(s) URL.", nameof(options));
        }

        _baseUrl = parsed;
    }

    /// <inheritdoc/>
    public string Name => _definition.Name;

    /// <summary>The pagination in force: the attributes' settings with <see cref="ExtractorOptions"/> applied.</summary>
    public PaginationOptions Pagination => _pagination;

    /// <summary>The absolute URL of the first request for <paramref name="input"/>.</summary>
    /// <param name="input">The input.</param>
    public Uri FirstRequestUrl(TIn input) => new Paginator(_pagination).First(Combine(_baseUrl, _definition.BuildRelativeUrl(input)));

    /// <inheritdoc/>
    public async IAsyncEnumerable<Page<TOut>> ExtractPagesAsync(TIn input, PageCheckpoint? resumeFrom = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var typeInfo = _typeInfo ??= _definition.RecordTypeInfo();
        var paginator = new Paginator(_pagination);
        Uri? url = resumeFrom is null ? FirstRequestUrl(input) : ResumeUrl(resumeFrom);
        int pageNumber = resumeFrom?.PageNumber ?? 1;
        long recordsSoFar = resumeFrom?.RecordsBefore ?? 0;
        var records = new List<TOut>(_pagination.PageSize > 0 ? _pagination.PageSize : 64);
        using var body = new ResponseBuffer();

        while (url is not null)
        {
            cancellationToken.ThrowIfCancellationRequested();
            records.Clear();
            string shownUrl = UrlRedactor.Redact(url);
            Uri? next;
            using (var response = await SendAsync(url, pageNumber, shownUrl, body, cancellationToken).ConfigureAwait(false))
            {
                PageScan scan;
                try
                {
                    scan = PageParser.Parse(body.Span, _layout, typeInfo, records);
                }
                catch (PageShapeException ex)
                {
                    throw Error(ex.Kind, pageNumber, shownUrl, ex.Message, response.StatusCode, ex.InnerException);
                }
                catch (JsonException ex)
                {
                    throw Error(ExtractionErrorKind.InvalidJson, pageNumber, shownUrl, $"the body is not valid JSON ({ex.Message}); content type '{response.Content.Headers.ContentType}', body starts: {Snippet(body.Span)}", response.StatusCode, ex);
                }

                if (_pagination.MaxRecords > 0 && recordsSoFar + records.Count > _pagination.MaxRecords)
                {
                    records.RemoveRange((int)(_pagination.MaxRecords - recordsSoFar), records.Count - (int)(_pagination.MaxRecords - recordsSoFar));
                }

                recordsSoFar += records.Count;
                try
                {
                    next = paginator.Next(url, scan, response.Headers, pageNumber, records.Count, recordsSoFar);
                }
                catch (Paginator.PaginatorException ex)
                {
                    throw Error(ex.Kind, pageNumber, shownUrl, ex.Message, response.StatusCode);
                }
            }

            var checkpoint = next is null ? null : new PageCheckpoint(next.AbsoluteUri, pageNumber + 1, recordsSoFar);
            yield return new Page<TOut>(pageNumber, shownUrl, records.ToArray(), checkpoint, body.Length);
            url = next;
            pageNumber++;
        }
    }

    private async ValueTask<HttpResponseMessage> SendAsync(Uri url, int pageNumber, string shownUrl, ResponseBuffer body, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        request.Headers.Accept.ParseAdd("application/json");
        if (_options.Headers is { } headers)
        {
            foreach (var (name, value) in headers)
            {
                request.Headers.TryAddWithoutValidation(name, value);
            }
        }

        HttpResponseMessage? response = null;
        try
        {
            response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
            {
                await body.ReadAsync(response.Content, 64 * 1024, cancellationToken).ConfigureAwait(false);
                throw Error(ExtractionErrorKind.HttpStatus, pageNumber, shownUrl, $"the API answered {(int)response.StatusCode} {response.ReasonPhrase}; expected 2xx. Body starts: {Snippet(body.Span)}", response.StatusCode);
            }

            await body.ReadAsync(response.Content, _options.MaxResponseBytes, cancellationToken).ConfigureAwait(false);
            return response;
        }
        catch (Exception ex) when (ex is not ExtractionException)
        {
            response?.Dispose();
            throw ex switch
            {
                ResponseBuffer.BodyTooLargeException => Error(ExtractionErrorKind.BodyTooLarge, pageNumber, shownUrl, ex.Message, response?.StatusCode, ex),
                OperationCanceledException when cancellationToken.IsCancellationRequested => ex,
                OperationCanceledException => Error(ExtractionErrorKind.Timeout, pageNumber, shownUrl, $"the request timed out after {_http.Timeout.TotalSeconds:0.#} s", null, ex),
                HttpRequestException or IOException => Error(ExtractionErrorKind.Transport, pageNumber, shownUrl, $"the request failed: {ex.Message}", response?.StatusCode, ex),
                _ => ex,
            };
        }
        catch
        {
            response?.Dispose();
            throw;
        }
    }

    private ExtractionException Error(ExtractionErrorKind kind, int pageNumber, string url, string detail, HttpStatusCode? status = null, Exception? inner = null)
        => new(kind, _definition.Name, pageNumber, url, detail, status, inner);

    private Uri ResumeUrl(PageCheckpoint checkpoint)
        => Uri.TryCreate(checkpoint.Url, UriKind.Absolute, out var uri)
            ? uri
            : throw new ArgumentException($"Extractor '{Name}': the checkpoint URL '{UrlRedactor.Redact(checkpoint.Url)}' is not absolute.", nameof(checkpoint));

    internal static Uri Combine(Uri baseUrl, string relative)
    {
        string root = baseUrl.AbsoluteUri;
        if (relative.Length == 0)
        {
            return baseUrl;
        }

        var text = new StringBuilder(root.Length + relative.Length + 1).Append(root.TrimEnd('/'));
        if (relative[0] != '/' && relative[0] != '?')
        {
            text.Append('/');
        }

        return new Uri(text.Append(relative).ToString(), UriKind.Absolute);
    }

    private static string Snippet(ReadOnlySpan<byte> body)
    {
        if (body.IsEmpty)
        {
            return "(empty)";
        }

        var text = Encoding.UTF8.GetString(body[..Math.Min(body.Length, SnippetChars * 2)]);
        text = text.Length > SnippetChars ? text[..SnippetChars] + "…" : text;
        return "'" + text.ReplaceLineEndings(" ") + "'";
    }
}

/// <summary>The <see cref="HttpClient"/> used when none is given: one per process, pooled connections recycled every 5 minutes.</summary>
internal static class SharedHttp
{
    public static HttpClient Client { get; } = new(new SocketsHttpHandler
    {
        PooledConnectionLifetime = TimeSpan.FromMinutes(5),
        AutomaticDecompression = DecompressionMethods.All,
    })
    {
        DefaultRequestHeaders = { { "User-Agent", "ApiPipeline/0.1" } },
    };
}
