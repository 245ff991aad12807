using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ApiPipeline.Hosting;

/// <summary>Registers ApiPipeline in a <see cref="IServiceCollection"/> (generic host, ASP.NET Core, worker services).</summary>
public static class ServiceCollectionExtensions
{
    /// <summary>
    /// The name prefix of the <see cref="IHttpClientFactory"/> clients extractors use: <c>ApiPipeline.&lt;extractor&gt;</c>. Their
    /// primary handler has <c>AllowAutoRedirect</c> off, because the extractor follows redirects itself.
    /// </summary>
    public const string HttpClientPrefix = "ApiPipeline.";

    /// <summary>
    /// Registers the extractors and chains of <paramref name="registry"/> and the services that run them:
    /// <list type="bullet">
    /// <item><see cref="ApiPipelineOptions"/> bound from the <c>ApiPipeline</c> section of <paramref name="configuration"/> (rates, retries, base URLs, credentials, schedules), then <paramref name="configure"/>;</item>
    /// <item>every extractor as a keyed transient <see cref="IExtractor{TIn, TOut}"/> (key: its name), created with an <see cref="IHttpClientFactory"/>
    /// client named <c>ApiPipeline.&lt;name&gt;</c>, the configured settings, <see cref="ILoggerFactory"/> and <see cref="TimeProvider"/>;</item>
    /// <item>every chain as a keyed transient <see cref="IChain{TIn, TOut}"/> (key: its name);</item>
    /// <item><see cref="ComponentRegistry"/>, <see cref="PipelineRunner"/> (runs anything by name, returns a <see cref="RunSummary"/>) and
    /// <see cref="JsonlOutputFactory"/> (outputs under the configured folder).</item>
    /// </list>
    /// Add <see cref="AddApiPipelineScheduler"/> for scheduled incremental runs in a <c>BackgroundService</c>.
    /// </summary>
    /// <param name="services">The services.</param>
    /// <param name="registry">The extractors and chains: <c>ApiPipeline.Generated.ApiPipelineRegistry.Instance</c>.</param>
    /// <param name="configuration">The configuration whose <c>ApiPipeline</c> section is bound; default: the registered <see cref="IConfiguration"/>, if any.</param>
    /// <param name="configure">Changes the options after binding.</param>
    public static IServiceCollection AddApiPipeline(this IServiceCollection services, ComponentRegistry registry, IConfiguration? configuration = null, Action<ApiPipelineOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(registry);
        services.AddLogging();
        services.AddHttpClient();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IPostConfigureOptions<HttpClientFactoryOptions>, ApiPipelineClients>());
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton(registry);
        services.AddOptions<ApiPipelineOptions>().Configure<IServiceProvider>((options, provider) =>
        {
            var config = configuration ?? provider.GetService<IConfiguration>();
            if (config is not null)
            {
                options.Bind(config.GetSection(ApiPipelineOptions.SectionName));
            }

            configure?.Invoke(options);
        });
        services.TryAddSingleton(provider => new PipelineRunner(
            provider.GetRequiredService<ComponentRegistry>(),
            provider.GetRequiredService<IOptions<ApiPipelineOptions>>().Value,
            provider.GetRequiredService<ILoggerFactory>(),
            ClientsFrom(provider),
            provider.GetRequiredService<TimeProvider>()));
        services.TryAddSingleton(provider => new JsonlOutputFactory(provider.GetRequiredService<IOptions<ApiPipelineOptions>>().Value.Output));

        var register = new Registrar(services);
        foreach (var extractor in registry.Extractors)
        {
            extractor.Accept(register);
        }

        foreach (var chain in registry.Chains)
        {
            register.Chain = chain.Name;
            chain.Definition.Accept(register);
        }

        return services;
    }

    /// <summary>
    /// Adds <see cref="PipelineScheduler"/>, a <c>BackgroundService</c> running every schedule of <see cref="ApiPipelineOptions.Schedules"/>
    /// (and <paramref name="schedules"/>) over and over, incrementally: state and watermarks live in the configured SQLite file.
    /// </summary>
    /// <param name="services">The services (after <see cref="AddApiPipeline"/>).</param>
    /// <param name="schedules">Schedules added in code, by id.</param>
    public static IServiceCollection AddApiPipelineScheduler(this IServiceCollection services, IReadOnlyDictionary<string, ScheduleSettings>? schedules = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        if (schedules is not null)
        {
            services.Configure<ApiPipelineOptions>(options =>
            {
                foreach (var (id, schedule) in schedules)
                {
                    options.Schedules[id] = schedule;
                }
            });
        }

        services.AddHostedService<PipelineScheduler>();
        return services;
    }

    private static Func<string, HttpClient?> ClientsFrom(IServiceProvider provider)
    {
        var factory = provider.GetRequiredService<IHttpClientFactory>();
        return name => factory.CreateClient(HttpClientPrefix + name);
    }

    /// <summary>
    /// The <c>ApiPipeline.*</c> clients do not follow redirects themselves: the extractor does, sending credentials only to the base
    /// URL's origin (a handler following them would drop <c>Authorization</c> on every hop and carry API-key headers to any host).
    /// Applied after every other configuration, so also to a primary handler the application sets for such a client. They send
    /// ApiPipeline's <c>User-Agent</c>, as the built-in client does, unless the application's configuration of the client sets one.
    /// A client whose extractor (or every step of whose chain) may spend longer on an attempt than <see cref="HttpClient.Timeout"/>'s 100 s,
    /// by its attributes or its settings, does not cut requests there: the extractor's timeouts bound each attempt, as with the built-in client.
    /// </summary>
    private sealed class ApiPipelineClients(IOptions<ApiPipelineOptions> settings, ComponentRegistry registry) : IPostConfigureOptions<HttpClientFactoryOptions>
    {
        public void PostConfigure(string? name, HttpClientFactoryOptions options)
        {
            if (name is not null && name.StartsWith(HttpClientPrefix, StringComparison.Ordinal))
            {
                bool unbounded = Outlasts(name[HttpClientPrefix.Length..]);
                options.HttpClientActions.Add(client =>
                {
                    if (!client.DefaultRequestHeaders.Contains("User-Agent"))
                    {
                        client.DefaultRequestHeaders.TryAddWithoutValidation("User-Agent", SharedHttp.UserAgent);
                    }

                    if (unbounded)
                    {
                        client.Timeout = Timeout.InfiniteTimeSpan;
                    }
                });
                options.HttpMessageHandlerBuilderActions.Add(static builder =>
                {
                    switch (builder.PrimaryHandler)
                    {
                        case HttpClientHandler handler:
                            handler.AllowAutoRedirect = false;
                            break;
                        case SocketsHttpHandler handler:
                            handler.AllowAutoRedirect = false;
                            break;
                    }
                });
            }
        }

        /// <summary>
        /// Whether an attempt of the extractor <paramref name="name"/> may last longer than a client's default 100 s; for a chain, whose
        /// steps share its client, an attempt of every step (a step with no timeouts of its own keeps the client's bound).
        /// </summary>
        private bool Outlasts(string name)
        {
            var configured = settings.Value.For(name);
            bool Longer(ResilienceOptions attributes)
                => SharedHttp.Outlasts((configured.ApplyTo(new ExtractorOptions(), attributes).Resilience ?? attributes).Timeout, TimeSpan.FromSeconds(100));

            return registry.Chains.FirstOrDefault(c => c.Name == name) is { } chain
                ? chain.Definition.Steps.All(step => Longer(step.Settings.ExtractorResilience ?? ResilienceOptions.None))
                : Longer(registry.Extractors.FirstOrDefault(e => e.Name == name)?.Resilience ?? ResilienceOptions.None);
        }
    }

    private sealed class Registrar(IServiceCollection services) : IExtractorRegistrationVisitor<bool>, IChainDefinitionVisitor<bool>
    {
        public string Chain { get; set; } = "";

        public bool Visit<TIn, TOut>(ExtractorRegistration<TIn, TOut> registration)
        {
            services.AddKeyedTransient<IExtractor<TIn, TOut>>(registration.Name, (provider, _) =>
            {
                var runner = provider.GetRequiredService<PipelineRunner>();
                var options = runner.Common(runner.Options.For(registration.Name).ApplyTo(new ExtractorOptions(), registration.Resilience), new RunRequest { Target = registration.Name });
                return registration.CreateExtractor(ClientsFrom(provider)(registration.Name), options);
            });
            services.TryAddSingleton(registration);
            return true;
        }

        public bool Visit<TIn, TOut>(ChainDefinition<TIn, TOut> definition)
        {
            string name = Chain;
            services.AddKeyedTransient<IChain<TIn, TOut>>(name, (provider, _) =>
            {
                // As the CLI runs it: its dead letters go to <Output>/<chain>.dead-letter.jsonl.
                var runner = provider.GetRequiredService<PipelineRunner>();
                return new ChainExecutor<TIn, TOut>(definition, ClientsFrom(provider)(name), runner.ChainOptionsFor(definition, name, new RunRequest { Target = name }, runner.Options.Output) with
                {
                    LoggerFactory = provider.GetRequiredService<ILoggerFactory>(),
                });
            });
            return true;
        }
    }
}

/// <summary>Creates JSON Lines outputs under the configured output folder (registered by <see cref="ServiceCollectionExtensions.AddApiPipeline"/>).</summary>
/// <param name="directory">The root folder.</param>
public sealed class JsonlOutputFactory(string directory)
{
    /// <summary>The root folder.</summary>
    public string Directory { get; } = directory;

    /// <summary>A JSONL output of <typeparamref name="T"/> records in <c>&lt;Directory&gt;/&lt;name&gt;</c>.</summary>
    /// <typeparam name="T">The record type.</typeparam>
    /// <param name="typeInfo">The records' JSON metadata (from your <c>JsonSerializerContext</c>).</param>
    /// <param name="name">The dataset folder's name.</param>
    /// <param name="partitionBy">The record date files are partitioned by, or <see langword="null"/> (<see cref="JsonlOutputOptions{T}.PartitionBy"/>).</param>
    /// <param name="partitionByDateTime">
    /// For a <see cref="DateTime"/> member instead of <paramref name="partitionBy"/>: the record date files are partitioned by, read as a
    /// pipeline file's <c>partition_by</c> reads it (without a kind as UTC, a local one converted) on any machine
    /// (<see cref="JsonlOutputOptions{T}.PartitionByDateTime"/>); <see langword="null"/> for none.
    /// </param>
    /// <exception cref="ArgumentException">Both <paramref name="partitionBy"/> and <paramref name="partitionByDateTime"/> are given.</exception>
    public JsonlOutput<T> Create<T>(System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> typeInfo, string name, Func<T, DateTimeOffset?>? partitionBy = null, Func<T, DateTime?>? partitionByDateTime = null)
        => partitionBy is not null && partitionByDateTime is not null
            ? throw new ArgumentException($"JSONL output '{name}': pass partitionBy or partitionByDateTime, not both (partitionByDateTime for a DateTime member, partitionBy for a DateTimeOffset).", nameof(partitionByDateTime))
            : new(typeInfo, new JsonlOutputOptions<T> { Directory = Directory, Name = name, PartitionBy = partitionBy, PartitionByDateTime = partitionByDateTime });
}
