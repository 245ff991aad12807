namespace ApiPipeline;

/// <summary>
/// Authenticates an extractor's requests. <see cref="Secret"/> and <see cref="Id"/> <em>name</em> secrets (environment variables by default,
/// see <see cref="ExtractorOptions.Credentials"/>): never write a secret value in an attribute. Each property maps onto <see cref="AuthOptions"/>.
/// </summary>
/// <param name="kind">The kind of authentication.</param>
[AttributeUsage(AttributeTargets.Class, Inherited = false, AllowMultiple = false)]
public sealed class AuthAttribute(AuthKind kind) : Attribute
{
    /// <summary>The kind of authentication.</summary>
    public AuthKind Kind { get; } = kind;

    /// <inheritdoc cref="AuthOptions.Secret"/>
    public string? Secret { get; set; }

    /// <inheritdoc cref="AuthOptions.Id"/>
    public string? Id { get; set; }

    /// <inheritdoc cref="AuthOptions.Header"/>
    public string? Header { get; set; }

    /// <inheritdoc cref="AuthOptions.QueryParam"/>
    public string? QueryParam { get; set; }

    /// <inheritdoc cref="AuthOptions.TokenUrl"/>
    public string? TokenUrl { get; set; }

    /// <inheritdoc cref="AuthOptions.Scope"/>
    public string? Scope { get; set; }

    /// <inheritdoc cref="AuthOptions.Audience"/>
    public string? Audience { get; set; }

    /// <inheritdoc cref="AuthOptions.ClientAuthentication"/>
    public OAuthClientAuthentication ClientAuthentication { get; set; }

    /// <summary>How long before its expiry an OAuth 2.0 token is replaced, e.g. <c>"60s"</c>. See <see cref="AuthOptions.RefreshBefore"/>.</summary>
    public string? RefreshBefore { get; set; }
}
