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
                w.Line($"    Auth = new {Runtime}AuthOptions");
                w.Line("    {");
                foreach (var init in auth)
                {
                    w.Line($"        {init.Name} = {init.Value},");
                }

                w.Line("    },");
            }
        }

        private static void WriteOptions(SourceWriter w, string property, string type, ImmutableEquatableArray<PropertyInit>? inits)
        {
            if (inits is null)
            {
                return;
            }

            if (inits.Count == 0)
            {
                w.Line($"        {property} = new {Runtime}{type}(),");
                return;
            }

            w.Line($"        {property} = new {Runtime}{type}");
            w.Line("        {");
            foreach (var init in inits)
            {
                w.Line($"            {init.Name} = {init.Value},");
            }

            w.Line("        },");
        }
    }
}
