/* engine/sim/sim_plugins.c: the plugins started with every sim (see
 * sim_plugin in sim.h). Controllers add one line each. */
#include "sim_int.h"

const sim_plugin sim_plugins[] = {
  {0, 0, 0}
};
