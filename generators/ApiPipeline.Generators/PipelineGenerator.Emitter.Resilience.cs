using ApiPipeline.Generators.Helpers;
using ApiPipeline.Generators.Model;

namespace ApiPipeline.Generators;

public sealed partial class PipelineGenerator
{
    /// <content>Writes <c>Resilience = new ResilienceOptions { … }</c> and <c>Auth = new AuthOptions { … }</c> into the definition.</content>
    internal static partial class Emitter
    {
        /// <summary>Writes the definition's resilience and auth initializers; writes nothing when the extractor declares neither.</summary>
        private static void WriteResilience(SourceWriter w, ResilienceSpec? spec)
        {
            if (spec is null)
            {
                return;
            }

            if (spec.HasResilience)
            {
                w.Line($"    Resilience = new {Runtime}ResilienceOptions");
                w.Line("    {");

                // In the order the strategies wrap a page, outermost first.
                WriteOptions(w, "Timeout", "TimeoutOptions", spec.Timeout);
                WriteOptions(w, "Retry", "RetryOptions", spec.Retry);
                WriteOptions(w, "CircuitBreaker", "CircuitBreakerOptions", spec.CircuitBreaker);
                WriteOptions(w, "RateLimit", "RateLimitOptions", spec.RateLimit);
                if (spec.OnError is { } onError)
                {
                    foreach (var init in onError)
                    {
                        w.Line($"        {init.Name} = {init.Value},");
                    }
                }

                w.Line("    },");
            }

            if (spec.Auth is { } auth)
            {
                WriteObject(w, "    ", "Auth", $"{Runtime}AuthOptions", auth);
            }
        }

        private static void WriteOptions(SourceWriter w, string property, string type, ImmutableEquatableArray<PropertyInit>? inits)
        {
            if (inits is not null)
            {
                WriteObject(w, "        ", property, Runtime + type, inits);
            }
        }
    }
}
