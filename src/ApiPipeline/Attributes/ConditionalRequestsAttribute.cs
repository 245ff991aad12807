namespace ApiPipeline;

/// <summary>
/// Sends conditional requests (the design's caching strategy): the extractor's consumer remembers, per page request, the validator of
/// each page whose records it made durable (the response's <c>ETag</c>, else its <c>Last-Modified</c>), and a later run sends it as
/// <c>If-None-Match</c> (or <c>If-Modified-Since</c>). A page the API answers <c>304 Not Modified</c> is skipped, as its records landed in an
/// earlier run, and the pagination continues where that page led last time. APIs such as GitHub's do not count such answers against the
/// rate limit. A pipeline with a state store remembers validators in the same transaction as the batch that holds the page's records.
/// Sequential pagination only: with <see cref="PaginatedAttribute.MaxConcurrent"/> (or <see cref="ExtractorOptions.MaxConcurrent"/>) above 1,
/// creating the extractor throws an <see cref="ArgumentException"/>. <see cref="ExtractorOptions.ConditionalRequests"/> overrides it at run time.
/// Chain steps send unconditional requests.
/// </summary>
[AttributeUsage(AttributeTargets.Class, Inherited = false, AllowMultiple = false)]
public sealed class ConditionalRequestsAttribute : Attribute;
