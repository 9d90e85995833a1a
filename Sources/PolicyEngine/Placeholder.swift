enum PolicyEnginePlaceholder {}
