using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;
using System.Threading;
using ApiPipeline.Generators.Diagnostics;
using ApiPipeline.Generators.Helpers;
using ApiPipeline.Generators.Model;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace ApiPipeline.Generators;

public sealed partial class PipelineGenerator
{
    /// <summary>Turns an <c>[Extractor]</c> class into an <see cref="ExtractorResult"/>; never throws on odd input.</summary>
    internal static partial class Parser
    {
        private const string ConditionalRequestsAttributeName = "ApiPipeline.ConditionalRequestsAttribute";
        private const string PaginatedAttributeName = "ApiPipeline.PaginatedAttribute";
        private const string QueryAttributeName = "ApiPipeline.QueryAttribute";
        private const string RawRecordName = "ApiPipeline.RawRecord<TFields>";

        public static ExtractorResult Parse(GeneratorAttributeSyntaxContext context, CancellationToken cancellationToken)
        {
            var diagnostics = new List<DiagnosticInfo>();
            var spec = TryParse(context, diagnostics, cancellationToken);
            if (diagnostics.Count > 0 || spec is null)
            {
                return new ExtractorResult(null, diagnostics.ToImmutableEquatableArray());
            }

            // Only extractors the generator writes are listed in the registry: it calls their generated members.
            return new ExtractorResult(spec, diagnostics.ToImmutableEquatableArray(), Chaining.RegistryParser.Parse((INamedTypeSymbol)context.TargetSymbol, cancellationToken));
        }

        private static ExtractorSpec? TryParse(GeneratorAttributeSyntaxContext context, List<DiagnosticInfo> diagnostics, CancellationToken cancellationToken)
        {
            if (context.TargetSymbol is not INamedTypeSymbol type || context.TargetNode is not TypeDeclarationSyntax syntax || type.TypeKind != TypeKind.Class)
            {
                return null;
            }

            var identifier = syntax.Identifier.GetLocation();
            if (!syntax.Modifiers.Any(SyntaxKind.PartialKeyword))
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.NotPartial, identifier, type.Name));
                return null;
            }

            // The generated part is a declaration in another file, which cannot complete a file-local class (or one nested in it).
            if (type.IsFileLocal || Chaining.Symbols.ContainingTypes(type).Any(o => o.IsFileLocal))
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.UnsupportedShape, identifier, type.Name, "is file-local (or nested in a file-local type), but its generated part is in another file; remove the file modifier"));
                return null;
            }

            // Arity, not IsGenericType: IsGenericType is also true for a type nested in a generic type, reported below with the outer type's name.
            if (type.Arity > 0)
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.UnsupportedShape, identifier, type.Name, "is generic"));
                return null;
            }

            // The generated part declares the constructors; a primary constructor would need every one of them to call it.
            if (type.DeclaringSyntaxReferences.Any(r => r.GetSyntax(cancellationToken) is TypeDeclarationSyntax { ParameterList: not null }))
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.UnsupportedShape, identifier, type.Name, "has a primary constructor, but the generated part declares its constructors; remove the parameter list and keep what it held in members"));
                return null;
            }

            var containing = new List<string>();
            for (var outer = type.ContainingType; outer is not null; outer = outer.ContainingType)
            {
                if (outer.DeclaringSyntaxReferences.FirstOrDefault()?.GetSyntax(cancellationToken) is not TypeDeclarationSyntax outerSyntax
                    || !outerSyntax.Modifiers.Any(SyntaxKind.PartialKeyword) || outer.IsGenericType)
                {
                    diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.UnsupportedShape, identifier, type.Name, $"is nested in '{outer.Name}', which is not a non-generic partial type"));
                    return null;
                }

                containing.Insert(0, "partial " + Keyword(outerSyntax) + " " + Escape(outer.Name));
            }

            var extractorInterfaces = type.AllInterfaces.Where(IsExtractorInterface).ToList();
            if (extractorInterfaces.Count != 1)
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.NoExtractorInterface, identifier, type.Name));
                return null;
            }

            var inputType = extractorInterfaces[0].TypeArguments[0];
            var outputType = extractorInterfaces[0].TypeArguments[1];
            if (inputType.TypeKind == TypeKind.Error || outputType.TypeKind == TypeKind.Error)
            {
                return null;
            }

            var attribute = context.Attributes[0];
            var attributeSyntax = attribute.ApplicationSyntaxReference?.GetSyntax(cancellationToken) as AttributeSyntax;
            if (attribute.ConstructorArguments.Length != 2
                || attribute.ConstructorArguments[0].Value is not string baseUrl
                || attribute.ConstructorArguments[1].Value is not string path)
            {
                return null;
            }

            string name = type.Name;
            ITypeSymbol? jsonContext = null;
            foreach (var argument in attribute.NamedArguments)
            {
                if (argument.Key == "Name" && argument.Value.Value is string n && n.Length > 0)
                {
                    name = n;
                }
                else if (argument.Key == "Json")
                {
                    jsonContext = argument.Value.Value as ITypeSymbol;
                }
            }

            if (jsonContext is null || !Chaining.Symbols.IsJsonContext(jsonContext))
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.MissingJsonContext, NamedArgumentLocation(attributeSyntax, "Json") ?? attributeSyntax?.GetLocation() ?? identifier, name, outputType.Name));
            }

            if (!Uri.TryCreate(baseUrl, UriKind.Absolute, out var uri) || (uri.Scheme != "http" && uri.Scheme != "https"))
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.InvalidEndpoint, ArgumentLocation(attributeSyntax, 0, "baseUrl") ?? identifier, name, $"the base URL '{baseUrl}' is not an absolute http(s) URL such as \"https://api.example.com\""));
            }

            var members = InputMembers(inputType);
            var url = new List<UrlPart>();
            var pathLocation = ArgumentLocation(attributeSyntax, 1, "path") ?? identifier;
            if (!ParsePath(path, name, inputType, members, url, diagnostics, pathLocation))
            {
                return null;
            }

            AddQuery(inputType, members, url, cancellationToken);
            // Passthrough: RawRecord<TFields> lands the bytes as sent; the context registers TFields, and [Watermark]/[Key] name its members.
            var rawFields = outputType is INamedTypeSymbol { IsGenericType: true } raw && raw.OriginalDefinition.ToDisplayString() == RawRecordName
                ? raw.TypeArguments[0]
                : null;
            var watermark = ParseWatermark(type, rawFields ?? outputType, name, diagnostics, cancellationToken, rawFields is null ? "" : "Fields.");
            var pagination = PaginationInits(type).ToImmutableEquatableArray();
            var timeWindows = ParseTimeWindows(type, watermark, pagination, name, diagnostics, cancellationToken);
            if (diagnostics.Count > 0)
            {
                return null;
            }

            return new ExtractorSpec
            {
                HintName = HintNames.Readable(type, ".g.cs"),
                MetadataName = HintNames.MetadataName(type),
                Namespace = type.ContainingNamespace.IsGlobalNamespace ? null : FullName(type.ContainingNamespace).Replace("global::", string.Empty),
                ContainingTypes = containing.ToImmutableEquatableArray(),
                TypeDeclaration = Keyword(syntax) + " " + Escape(type.Name),
                TypeName = Escape(type.Name),
                Name = name,
                BaseUrl = baseUrl,
                PathTemplate = path,
                InputType = FullName(inputType),
                OutputType = FullName(outputType),
                JsonContextType = FullName(jsonContext!),
                Url = url.ToImmutableEquatableArray(),
                Pagination = pagination,
                Resilience = ParseResilience(type),
                Watermark = watermark,
                TimeWindows = timeWindows,
                ConditionalRequests = type.GetAttributes().Any(a => a.AttributeClass?.ToDisplayString() == ConditionalRequestsAttributeName),
                RawFieldsType = rawFields is null ? null : FullName(rawFields),
                RawFieldsReader = rawFields is null ? null : ParseRawFields(rawFields, jsonContext!),
                Hides = Hidden(type, extractorInterfaces[0], context.SemanticModel.Compilation),
            };
        }

        /// <summary>The members of the generated part other than constructors: <c>Definition</c>, then those of <c>IExtractor</c> it implements.</summary>
        private static readonly string[] GeneratedMembers =
            ["Definition", "Name", "OnError", "Watermark", "TimeWindows", "RecordTypeInfo", "PartitionKey", "StartAt", "ExtractPagesAsync", "ExtractIntoAsync", "ExtractAsync", "ExtractToAsync"];

        /// <summary>The generated members that hide a member of a base class (<see cref="Helpers.HiddenMembers"/>), which the emitter declares <c>new</c>.</summary>
        private static ImmutableEquatableArray<string> Hidden(INamedTypeSymbol type, INamedTypeSymbol extractor, Compilation compilation)
            => Helpers.HiddenMembers.Of(type, [.. GeneratedMembers.Select(name => (name, extractor.GetMembers(name).OfType<IMethodSymbol>().FirstOrDefault()))], compilation, ExtractorAttributeName, Chaining.Symbols.ExtractorInterface);

        private static bool ParsePath(string path, string name, ITypeSymbol inputType, Dictionary<string, InputMember> members, List<UrlPart> url, List<DiagnosticInfo> diagnostics, Location location)
        {
            int i = 0;
            while (i < path.Length)
            {
                int open = path.IndexOf('{', i);
                int strayClose = path.IndexOf('}', i);
                if (strayClose >= 0 && (open < 0 || strayClose < open))
                {
                    diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.InvalidEndpoint, location, name, $"the path '{path}' has a '}}' without a matching '{{' at position {strayClose}"));
                    return false;
                }

                if (open < 0)
                {
                    url.Add(new UrlPart(UrlPartKind.Literal, path.Substring(i)));
                    break;
                }

                if (open > i)
                {
                    url.Add(new UrlPart(UrlPartKind.Literal, path.Substring(i, open - i)));
                }

                int close = path.IndexOf('}', open);
                string placeholder = close < 0 ? string.Empty : path.Substring(open + 1, close - open - 1);
                if (close < 0 || placeholder.Length == 0 || !placeholder.All(c => char.IsLetterOrDigit(c) || c == '_' || c == '-'))
                {
                    diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.InvalidEndpoint, location, name, $"the path '{path}' has a malformed placeholder at position {open}; write placeholders as {{name}}"));
                    return false;
                }

                if (!members.TryGetValue(NameRules.Normalize(placeholder), out var member))
                {
                    diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.UnboundPlaceholder, location, placeholder, name, inputType.Name, NameRules.PascalCase(placeholder)));
                }
                else
                {
                    url.Add(new UrlPart(UrlPartKind.PathValue, placeholder, Escape(member.Name), member.Kind, member.ValueType, member.IsValueType));
                }

                i = close + 1;
            }

            return true;
        }

        private static void AddQuery(ITypeSymbol inputType, Dictionary<string, InputMember> members, List<UrlPart> url, CancellationToken cancellationToken)
        {
            // [Query] on a positional parameter: the input type's own, then its base types' (a base record's parameter declares the
            // property the derived record inherits).
            var parameterAttributes = new Dictionary<string, AttributeData>(StringComparer.Ordinal);
            for (var current = inputType as INamedTypeSymbol; current is not null && current.SpecialType != SpecialType.System_Object; current = current.BaseType)
            {
                foreach (var constructor in current.InstanceConstructors)
                {
                    foreach (var parameter in constructor.Parameters)
                    {
                        var query = parameter.GetAttributes().FirstOrDefault(a => a.AttributeClass?.ToDisplayString() == QueryAttributeName);
                        if (query is not null && !parameterAttributes.ContainsKey(parameter.Name))
                        {
                            parameterAttributes[parameter.Name] = query;
                        }
                    }
                }
            }

            foreach (var member in members.Values.OrderBy(m => m.Order))
            {
                cancellationToken.ThrowIfCancellationRequested();
                var query = member.Symbol.GetAttributes().FirstOrDefault(a => a.AttributeClass?.ToDisplayString() == QueryAttributeName);
                if (query is null && !parameterAttributes.TryGetValue(member.Name, out query))
                {
                    continue;
                }

                string queryName = query.ConstructorArguments.Length == 1 && query.ConstructorArguments[0].Value is string given && given.Length > 0
                    ? given
                    : NameRules.SnakeCase(member.Name);
                url.Add(new UrlPart(UrlPartKind.Query, queryName, Escape(member.Name), member.Kind, member.ValueType, member.IsValueType));
            }
        }

        private static IEnumerable<PropertyInit> PaginationInits(INamedTypeSymbol type)
        {
            var attribute = type.GetAttributes().FirstOrDefault(a => a.AttributeClass?.ToDisplayString() == PaginatedAttributeName);
            if (attribute is null || attribute.ConstructorArguments.Length != 1)
            {
                yield break;
            }

            var style = attribute.ConstructorArguments[0];
            var styleName = style.Type?.GetMembers().OfType<IFieldSymbol>().FirstOrDefault(f => f.HasConstantValue && Equals(f.ConstantValue, style.Value))?.Name;
            yield return new PropertyInit("Style", styleName is null
                ? $"(global::ApiPipeline.Pagination)({Convert.ToString(style.Value, CultureInfo.InvariantCulture)})"
                : "global::ApiPipeline.Pagination." + styleName);

            foreach (var argument in attribute.NamedArguments)
            {
                var literal = Literal(argument.Value.Value);
                if (literal is not null)
                {
                    yield return new PropertyInit(argument.Key, literal);
                }
            }
        }

        private static string? Literal(object? value) => value switch
        {
            string s => SymbolDisplay.FormatLiteral(s, quote: true),
            bool b => b ? "true" : "false",
            int i => i.ToString(CultureInfo.InvariantCulture),
            long l => l.ToString(CultureInfo.InvariantCulture) + "L",
            _ => null,
        };

        private static Dictionary<string, InputMember> InputMembers(ITypeSymbol inputType)
        {
            var members = new Dictionary<string, InputMember>(StringComparer.Ordinal);
            int order = 0;
            foreach (var current in MemberScopes.Of(inputType))
            {
                foreach (var symbol in current.GetMembers())
                {
                    ITypeSymbol? memberType = symbol switch
                    {
                        IPropertySymbol { IsStatic: false, IsIndexer: false, DeclaredAccessibility: Accessibility.Public, GetMethod.DeclaredAccessibility: Accessibility.Public } p => p.Type,
                        IFieldSymbol { IsStatic: false, DeclaredAccessibility: Accessibility.Public, IsImplicitlyDeclared: false } f => f.Type,
                        _ => null,
                    };
                    if (memberType is null || MemberScopes.IsAmbiguous(inputType, symbol.Name))
                    {
                        continue;
                    }

                    string key = NameRules.Normalize(symbol.Name);
                    if (!members.ContainsKey(key))
                    {
                        var (kind, valueType, isValueType) = UrlValues.Classify(memberType);
                        members[key] = new InputMember(symbol, symbol.Name, kind, valueType is null ? null : FullName(valueType), isValueType, order++);
                    }
                }
            }

            return members;
        }

        private static bool IsExtractorInterface(INamedTypeSymbol candidate)
            => candidate.OriginalDefinition is { Name: "IExtractor", Arity: 2 } definition
               && definition.ContainingNamespace is { Name: "ApiPipeline", ContainingNamespace.IsGlobalNamespace: true };

        private static string Keyword(TypeDeclarationSyntax syntax) => syntax is RecordDeclarationSyntax record
            ? record.ClassOrStructKeyword.IsKind(SyntaxKind.StructKeyword) ? "record struct" : "record"
            : syntax.Keyword.ValueText;

        private static string FullName(INamespaceOrTypeSymbol type) => type.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat);

        /// <summary>An identifier as C# source: a reserved keyword gets its '@' back (<c>@class</c>).</summary>
        private static string Escape(string identifier)
            => SyntaxFacts.GetKeywordKind(identifier) == SyntaxKind.None ? identifier : "@" + identifier;

        /// <summary>The value of the constructor argument for <paramref name="parameter"/>: named (<c>path: "…"</c>) wherever it is, else at <paramref name="index"/>.</summary>
        private static Location? ArgumentLocation(AttributeSyntax? attribute, int index, string parameter)
        {
            if (attribute?.ArgumentList?.Arguments is not { } arguments)
            {
                return null;
            }

            foreach (var argument in arguments)
            {
                if (argument.NameColon?.Name.Identifier.ValueText == parameter)
                {
                    return argument.Expression.GetLocation();
                }
            }

            return arguments.Count > index && arguments[index] is { NameEquals: null, NameColon: null } positional ? positional.Expression.GetLocation() : null;
        }

        private static Location? NamedArgumentLocation(AttributeSyntax? attribute, string name)
            => attribute?.ArgumentList?.Arguments.FirstOrDefault(a => a.NameEquals?.Name.Identifier.ValueText == name)?.GetLocation();

        private sealed record InputMember(ISymbol Symbol, string Name, ValueKind Kind, string? ValueType, bool IsValueType, int Order);
    }
}
