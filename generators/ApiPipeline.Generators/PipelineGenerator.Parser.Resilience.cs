using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using ApiPipeline.Generators.Helpers;
using ApiPipeline.Generators.Model;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace ApiPipeline.Generators;

public sealed partial class PipelineGenerator
{
    /// <content>Reads <c>[Retry]</c>, <c>[Timeouts]</c>, <c>[CircuitBreaker]</c>, <c>[RateLimited]</c>, <c>[OnError]</c> and <c>[Auth]</c>.</content>
    internal static partial class Parser
    {
        private const string RetryAttributeName = "ApiPipeline.RetryAttribute";
        private const string TimeoutsAttributeName = "ApiPipeline.TimeoutsAttribute";
        private const string CircuitBreakerAttributeName = "ApiPipeline.CircuitBreakerAttribute";
        private const string RateLimitedAttributeName = "ApiPipeline.RateLimitedAttribute";
        private const string OnErrorAttributeName = "ApiPipeline.OnErrorAttribute";
        private const string AuthAttributeName = "ApiPipeline.AuthAttribute";

        /// <summary>
        /// Attribute properties written as duration strings (<c>"500ms"</c>); emitted as <c>Duration.Parse</c> calls so the runtime's one
        /// parser reads them (a bad literal is reported by the analyzers, and fails at startup with a message naming it).
        /// </summary>
        private static readonly HashSet<string> DurationProperties = new(StringComparer.Ordinal)
        {
            "BaseDelay", "MaxDelay", "MaxRetryAfter", "PerAttempt", "Total", "SamplingDuration", "BreakDuration", "RecoveryInterval", "RefreshBefore",
        };

        /// <summary>The resilience attributes of <paramref name="type"/>, or <see langword="null"/> when it has none.</summary>
        private static ResilienceSpec? ParseResilience(INamedTypeSymbol type)
        {
            ImmutableEquatableArray<PropertyInit>? retry = null, timeout = null, breaker = null, rateLimit = null, onError = null, auth = null;
            foreach (var attribute in type.GetAttributes())
            {
                switch (attribute.AttributeClass?.ToDisplayString())
                {
                    case RetryAttributeName:
                        retry = Inits(attribute, "MaxRetries");
                        break;
                    case TimeoutsAttributeName:
                        timeout = Inits(attribute);
                        break;
                    case CircuitBreakerAttributeName:
                        breaker = Inits(attribute);
                        break;
                    case RateLimitedAttributeName:
                        rateLimit = Inits(attribute, "RequestsPerSecond");
                        break;
                    case OnErrorAttributeName:
                        onError = Inits(attribute, "OnError");
                        break;
                    case AuthAttributeName:
                        auth = Inits(attribute, "Kind");
                        break;
                }
            }

            return retry is null && timeout is null && breaker is null && rateLimit is null && onError is null && auth is null
                ? null
                : new ResilienceSpec { Retry = retry, Timeout = timeout, CircuitBreaker = breaker, RateLimit = rateLimit, OnError = onError, Auth = auth };
        }

        /// <summary>The attribute's single constructor argument (as <paramref name="constructorProperty"/>) and its named arguments, as initializers.</summary>
        private static ImmutableEquatableArray<PropertyInit> Inits(AttributeData attribute, string? constructorProperty = null)
        {
            var inits = new List<PropertyInit>();
            if (constructorProperty is not null && attribute.ConstructorArguments.Length == 1
                && ResilienceLiteral(constructorProperty, attribute.ConstructorArguments[0]) is string value)
            {
                inits.Add(new PropertyInit(constructorProperty, value));
            }

            foreach (var argument in attribute.NamedArguments)
            {
                if (ResilienceLiteral(argument.Key, argument.Value) is string literal)
                {
                    // A named argument sets the property after the constructor has, as the attribute itself does: it wins.
                    inits.RemoveAll(i => i.Name == argument.Key);
                    inits.Add(new PropertyInit(argument.Key, literal));
                }
            }

            return inits.ToImmutableEquatableArray();
        }

        /// <summary>A C# expression for one attribute value: durations through <c>Duration.Parse</c>, enums by member name, numbers invariant.</summary>
        private static string? ResilienceLiteral(string property, TypedConstant constant)
        {
            if (constant.Kind == TypedConstantKind.Error || constant.IsNull && constant.Kind != TypedConstantKind.Primitive)
            {
                return null;
            }

            object? value = constant.Value;
            if (constant.Kind == TypedConstantKind.Enum && constant.Type is INamedTypeSymbol enumType)
            {
                string fullName = enumType.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat);
                var member = enumType.GetMembers().OfType<IFieldSymbol>().FirstOrDefault(f => f.HasConstantValue && Equals(f.ConstantValue, value));
                return member is null
                    ? $"({fullName})({Convert.ToString(value, CultureInfo.InvariantCulture)})"
                    : fullName + "." + member.Name;
            }

            return value switch
            {
                // A null duration (a TimeSpan in the options) means "the default": nothing to set.
                null when DurationProperties.Contains(property) => null,
                null => "null",
                string s when DurationProperties.Contains(property) => $"global::ApiPipeline.Duration.Parse({SymbolDisplay.FormatLiteral(s, quote: true)})",
                string s => SymbolDisplay.FormatLiteral(s, quote: true),
                bool b => b ? "true" : "false",
                int i => i.ToString(CultureInfo.InvariantCulture),
                long l => l.ToString(CultureInfo.InvariantCulture) + "L",
                double d when double.IsNaN(d) => "double.NaN",
                double d when double.IsPositiveInfinity(d) => "double.PositiveInfinity",
                double d when double.IsNegativeInfinity(d) => "double.NegativeInfinity",
                double d => DoubleLiteral(d),
                float f => DoubleLiteral(f),
                _ => null,
            };
        }

        private static string DoubleLiteral(double value)
        {
            string text = value.ToString("R", CultureInfo.InvariantCulture);
            return text.IndexOfAny(['.', 'E', 'e']) >= 0 ? text : text + ".0";
        }
    }
}
