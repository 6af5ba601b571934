#include "engine/db/migration_classifier.h"
